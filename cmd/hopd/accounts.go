package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hopd/hopd/internal/api"
)

func newAccountsCmd(g *globals) *cobra.Command {
	var asJSON, refresh bool
	cmd := &cobra.Command{
		Use:   "accounts",
		Short: "List the accounts hopd knows and the state of their credentials",
		Long: `List the accounts hopd knows, from the config and, with [discover], from
AWS Organizations, and the state of each one's credentials.

--refresh lists the organization's accounts again first, instead of waiting
for the next scheduled listing (every 6 hours by default).`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if refresh {
				if err := c.Discover(cmd.Context()); err != nil {
					return err
				}
			}
			as, err := c.Accounts(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), as)
			}
			printAccounts(cmd.OutOrStdout(), as, time.Now())
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&refresh, "refresh", false, "list the AWS Organization's accounts again first ([discover] in the config)")
	return cmd
}

func printAccounts(w io.Writer, as []api.AccountStatus, now time.Time) {
	if len(as) == 0 {
		fmt.Fprintln(w, "No accounts configured: add [[account]] sections to the config.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tACCOUNT ID\tROLE\tREGION\tFROM\tSTATE\tEXPIRES")
	// One row per account, however long its error: the errors follow the
	// table, numbered, so the rows stay within a terminal's width.
	var errs []string
	for _, a := range as {
		exp := "-"
		if !a.Expires.IsZero() {
			// Relative: what matters is how soon; and it keeps the row short.
			exp = "in " + strings.TrimSuffix(a.Expires.Sub(now).Round(time.Minute).String(), "0s")
			if !a.Expires.After(now) {
				exp = "expired"
			}
		}
		state := string(a.State)
		if a.LastError != "" && a.State == api.AccountError {
			errs = append(errs, fmt.Sprintf("[%d] %s: %s", len(errs)+1, a.Name, a.LastError))
			state += fmt.Sprintf(" [%d]", len(errs))
		}
		from := a.User
		if a.SSO != "" {
			from = "sso " + a.SSO
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Name, a.ID, a.Role, a.Region, from, state, exp)
	}
	tw.Flush()
	if len(errs) > 0 {
		fmt.Fprintln(w)
		for _, e := range errs {
			fmt.Fprintln(w, e)
		}
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
