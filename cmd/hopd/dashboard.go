package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hopd/hopd/internal/client"
	"github.com/hopd/hopd/internal/console"
)

func newDashboardCmd(g *globals) *cobra.Command {
	var (
		print   bool
		browser string
	)
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Open hopd's page in the browser: accounts, MFA code, consoles",
		Long: `Open the running daemon's page in the browser. It shows every account in
its colour with the state of its credentials and the programs that fetched
them last, the MFA session's end, a form for the MFA code, a button per
account that opens its AWS console, and one that re-reads the config. It
stays up to date by itself. No credentials are ever on the page.

The page opens through a one-time link: it works once, within two minutes,
and starts a session in the browser that opens it (a cookie that other
web pages cannot use). The tray's "Open dashboard" does the same.`,
		Example: `  hopd dashboard
  hopd dashboard --browser "firefox --new-window {url}"
  hopd dashboard --print     # print the link instead of opening it`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			url, err := c.DashboardLink(cmd.Context())
			var ae *client.APIError
			if errors.As(err, &ae) && ae.Code == "not_found" {
				return errors.New("the running daemon has no dashboard: it is older than this hopd; restart it")
			}
			if err != nil {
				return err
			}
			if print {
				fmt.Fprintln(cmd.OutOrStdout(), url)
				return nil
			}
			if err := console.Open(cmd.Context(), url, browser); err != nil {
				if errors.Is(err, console.ErrNoDefaultBrowser) {
					return fmt.Errorf("%w: open the link yourself with `hopd dashboard --print`, or name a browser with --browser", err)
				}
				return err
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "Opened hopd's dashboard in the browser.")
			return nil
		},
	}
	cmd.Flags().BoolVar(&print, "print", false, "print the one-time link instead of opening it (whoever opens it first gets the page)")
	cmd.Flags().StringVar(&browser, "browser", "", `open the link with this command instead of the default browser; {url} marks where the link goes, as in "firefox {url}"`)
	return cmd
}
