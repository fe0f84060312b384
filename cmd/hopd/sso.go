package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/client"
)

func newSSOCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sso",
		Short: "Sign in to IAM Identity Center ([[sso]] in the config)",
		Args:  usageArgs(cobra.NoArgs),
	}
	cmd.AddCommand(newSSOLoginCmd(g))
	return cmd
}

func newSSOLoginCmd(g *globals) *cobra.Command {
	var noBrowser bool
	cmd := &cobra.Command{
		Use:   "login [NAME]",
		Short: "Sign in to an [[sso]] of the config (default: the first) and wait until done",
		Long: `Sign in to IAM Identity Center for the [[sso]] block NAME (default: the
first one). The running daemon does the sign-in, so no AWS CLI is needed:
it opens the sign-in page in your browser and waits for it to come back to
127.0.0.1. With --no-browser (or when no browser can be opened) it prints a
page and a code to enter on any device instead.

One sign-in serves every account and role of that Identity Center until its
session ends (typically 8 to 12 hours); hopd refreshes the token meanwhile.
The tokens stay in the OS keychain.`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			var name string
			if len(args) == 1 {
				name = args[0]
			}
			return ssoLogin(cmd.Context(), c, cmd.OutOrStdout(), api.SSOLoginRequest{Name: name, NoBrowser: noBrowser})
		},
	}
	cmd.Flags().BoolVar(&noBrowser, "no-browser", false, "print a page and a code to enter on any device instead of opening the browser")
	return cmd
}

// ssoLogin starts a sign-in in the daemon and waits until the daemon holds
// the tokens, or the sign-in failed or gave up.
func ssoLogin(ctx context.Context, c *client.Client, w io.Writer, req api.SSOLoginRequest) error {
	login, err := c.SSOLogin(ctx, req)
	if err != nil {
		return err
	}
	switch {
	case login.Opened:
		fmt.Fprintf(w, "Opened the IAM Identity Center sign-in page for %s in your browser. If it did not open, go to:\n  %s\n", login.Name, login.URL)
	case login.UserCode != "":
		fmt.Fprintf(w, "To sign in to %s, open this page on any device and confirm the code %s:\n  %s\n", login.Name, login.UserCode, login.URL)
	default:
		fmt.Fprintf(w, "To sign in to %s, open this page:\n  %s\n", login.Name, login.URL)
	}
	deadline := login.Expires
	if deadline.IsZero() {
		deadline = time.Now().Add(10 * time.Minute)
	}
	ctx, cancel := context.WithDeadline(ctx, deadline.Add(5*time.Second))
	defer cancel()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		st, err := c.Status(ctx)
		if err != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("the sign-in to %s was not finished in time: run `hopd sso login %s` again", login.Name, login.Name)
			}
			return err
		}
		for _, s := range st.Daemon.SSO {
			if s.Name != login.Name {
				continue
			}
			switch {
			case s.State == api.SSOSignedIn:
				fmt.Fprintf(w, "Signed in to %s%s.\n", login.Name, until(s.Expires))
				return nil
			case s.Login == nil && s.LastError != "":
				return fmt.Errorf("the sign-in to %s failed: %s", login.Name, s.LastError)
			case s.Login == nil && s.State != api.SSOSigningIn:
				return fmt.Errorf("the sign-in to %s did not finish: run `hopd sso login %s` again", login.Name, login.Name)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the sign-in to %s was not finished in time: run `hopd sso login %s` again", login.Name, login.Name)
		case <-t.C:
		}
	}
}

func until(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return " until " + t.Local().Format("Mon 15:04")
}

// printSSO is each [[sso]]'s line in `hopd status`.
func printSSO(w io.Writer, infos []api.SSOInfo, now time.Time) {
	for _, s := range infos {
		line := fmt.Sprintf("sso %s: %s", s.Name, s.State)
		switch s.State {
		case api.SSOSignedIn:
			line += until(s.Expires)
		case api.SSONeedsSignIn:
			line += " (run `hopd sso login " + s.Name + "`)"
		}
		line += fmt.Sprintf(", %d accounts, %d roles", s.Accounts, s.Roles)
		if !s.LastRefresh.IsZero() {
			line += fmt.Sprintf(", listed %s ago", now.Sub(s.LastRefresh).Round(time.Second))
		}
		if s.LastError != "" {
			line += ": " + s.LastError
		}
		fmt.Fprintln(w, line)
	}
}
