package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hopd/hopd/internal/client"
	"github.com/hopd/hopd/internal/console"
)

func newConsoleCmd(g *globals) *cobra.Command {
	var (
		print, logout bool
		region        string
	)
	cmd := &cobra.Command{
		Use:   "console ACCOUNT",
		Short: "Open an account's AWS web console in the browser",
		Long: `Sign in to ACCOUNT's AWS web console and open it in the browser: no
"Switch Role" form, no account number to type.

The daemon trades the account's role credentials for a sign-in token at the
AWS federation endpoint and returns a login URL for the console home of the
account's region (or --region). The URL opens in the default browser, or
with the account's browser command from the config (for example a Chrome
profile of its own, so that several accounts stay open side by side). Only
the URL goes to the browser, never credentials; the token in it works once,
for 15 minutes.

ACCOUNT may also be an IAM user with console = true in the config: its own
account's console, signed in with GetFederationToken.`,
		Example: `  hopd console production
  hopd console staging --region eu-central-1
  hopd console production --print      # print the URL instead of opening it`,
		Args:              usageArgs(cobra.ExactArgs(1)),
		ValidArgsFunction: completeAccounts(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			if region != "" {
				// Any partition will do here: the daemon checks the account's.
				if err := console.CheckRegion(region, region); err != nil {
					return fmt.Errorf("--region: %w", err)
				}
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			link, err := c.ConsoleLink(cmd.Context(), args[0], region)
			var ae *client.APIError
			if errors.As(err, &ae) && ae.Code == "not_found" {
				return errors.New("the running daemon cannot open the console: it is older than this hopd; restart it")
			}
			if err != nil {
				return err
			}
			url := link.URL
			if logout {
				if url, err = console.LogoutFirst(url); err != nil {
					return err
				}
			}
			if print {
				fmt.Fprintln(cmd.OutOrStdout(), url)
				return nil
			}
			if err := console.Open(cmd.Context(), url, link.Browser); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "Opened the console of %s in the browser.\n", args[0])
			return nil
		},
	}
	cmd.Flags().BoolVar(&print, "print", false, "print the sign-in URL instead of opening it (it lets anyone in for 15 minutes: keep it to yourself)")
	cmd.Flags().StringVar(&region, "region", "", "open the console in this region instead of the account's own")
	cmd.Flags().BoolVar(&logout, "logout-first", false, "sign the browser out of the console session it has before signing in (without AWS multi-session, one account at a time)")
	return cmd
}
