package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/client"
)

func newCredsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "creds ACCOUNT",
		Short: "Print credentials in credential_process format",
		Long: `Print an account's credentials as credential_process JSON ("Version": 1),
for a profile in ~/.aws/config:

  [profile production]
  credential_process = hopd creds production`,
		Args:              usageArgs(cobra.ExactArgs(1)),
		ValidArgsFunction: completeAccounts(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCreds(cmd.Context(), g, cmd.OutOrStdout(), args[0])
		},
	}
}

// runCreds is `hopd creds ACCOUNT`, through cobra or through credsFast.
func runCreds(ctx context.Context, g *globals, w io.Writer, account string) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	cr, err := c.CredentialProcess(ctx, account, os.Getppid())
	var ae *client.APIError
	if errors.As(err, &ae) && ae.Status == 404 {
		return fmt.Errorf("no account named %q: see `hopd accounts`", account)
	}
	if err != nil {
		return err
	}
	out := struct {
		Version         int    `json:"Version"`
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string `json:"SecretAccessKey"`
		SessionToken    string `json:"SessionToken"`
		Expiration      string `json:"Expiration"`
	}{1, cr.AccessKeyID, cr.SecretAccessKey, cr.Token, cr.Expiration}
	return json.NewEncoder(w).Encode(out)
}

// sessionUntil says until when the user's new session lasts, when the
// daemon tells: ", until Tue 08:53 (in 12h0m)".
func sessionUntil(ctx context.Context, c *client.Client, user string) string {
	st, err := c.Status(ctx)
	if err != nil {
		return ""
	}
	for _, u := range st.Broker.Users {
		if (user == "" || u.Name == user) && !u.SessionExpires.IsZero() {
			left := time.Until(u.SessionExpires).Round(time.Minute)
			return fmt.Sprintf(", until %s (in %s)", u.SessionExpires.Local().Format("Mon 15:04"), strings.TrimSuffix(left.String(), "0s"))
		}
	}
	return ""
}

func newMFACmd(g *globals) *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:   "mfa [CODE]",
		Short: "Give the daemon an MFA code to start today's session",
		Long: `Give the running daemon a 6-digit code from the MFA device named by the
user's mfa_serial. One code starts a session (12 hours by default) that
covers every account. Without CODE it asks for one.`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			code := ""
			if len(args) == 1 {
				code = args[0]
			} else {
				if code, err = promptLine("MFA code: "); err != nil {
					return err
				}
			}
			if err := c.SubmitMFA(cmd.Context(), user, code); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "Session started"+sessionUntil(cmd.Context(), c, user)+".")
			return nil
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "the IAM user (default: the only one in the config)")
	return cmd
}

// promptLine reads one line, from the terminal when there is one.
func promptLine(prompt string) (string, error) {
	if term.IsTerminal(int(os.Stdin.Fd())) {
		fmt.Fprint(os.Stderr, prompt)
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("reading from standard input: %w", err)
	}
	return strings.TrimSpace(line), nil
}

func newStatusCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the daemon's health, sessions and last errors",
		Long: `Show the running daemon: its version and address, the config in force
(and why a newer one is not, after a bad edit), each user's session and
until when it lasts (or that it needs a code: run hopd mfa), Organizations
discovery and Identity Center sign-ins, an imds_port another program
holds, then one row per account: its id, role, region, where its
credentials come from, their state and when they expire. Long errors are
printed under the table. --json prints the same as JSON, for scripts.`,
		Example: `  hopd status
  hopd status --json | jq '.broker.accounts[] | select(.state == "error")'`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			st, err := c.Status(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), st)
			}
			w := cmd.OutOrStdout()
			now := time.Now()
			d := st.Daemon
			fmt.Fprintf(w, "hopd %s, pid %d, listening on %s, up %s\n", d.Version, d.PID, d.Listen, now.Sub(d.Started).Round(time.Second))
			fmt.Fprintf(w, "config: %s\n", d.ConfigPath)
			if d.ConfigError != "" {
				fmt.Fprintf(w, "config error (the last good config stays in force): %s\n", d.ConfigError)
			}
			printDiscovery(w, d.Discovery, now)
			printSSO(w, d.SSO, now)
			for _, u := range st.Broker.Users {
				line := fmt.Sprintf("user %s: %s", u.Name, u.State)
				if u.Profile != "" {
					line = fmt.Sprintf("user %s (AWS profile %s): %s", u.Name, u.Profile, u.State)
				}
				if !u.SessionExpires.IsZero() {
					line += fmt.Sprintf(", session valid until %s", u.SessionExpires.Local().Format("Mon 15:04"))
				}
				if u.State == api.UserNeedsMFA {
					line += " (run `hopd mfa`)"
				}
				if u.LastError != "" {
					line += ": " + u.LastError
				}
				fmt.Fprintln(w, line)
			}
			printTakenIMDS(cmd.Context(), w, st.Broker.Accounts)
			fmt.Fprintln(w)
			printAccounts(w, st.Broker.Accounts, now)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
