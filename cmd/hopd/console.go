package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/client"
	"github.com/hopd/hopd/internal/console"
	"github.com/hopd/hopd/internal/switchrole"
)

func newConsoleCmd(g *globals) *cobra.Command {
	var (
		print, switchRole bool
		req               api.ConsoleRequest
	)
	cmd := &cobra.Command{
		Use:   "console [ACCOUNT]",
		Short: "Open an account's AWS web console in the browser",
		Long: `Sign in to ACCOUNT's AWS web console and open it in the browser: no
"Switch Role" form, no account number to type.

The daemon trades the account's role credentials for a sign-in token at the
AWS federation endpoint. The browser is handed a one-time link on hopd's
own loopback address that leads there: the sign-in URL, which lets anyone
into the console for 15 minutes, never goes on a command line, where every
user of the machine can read it. --print prints the real URL instead.

Where to land: --service (a name or alias: ` + strings.Join(console.Services(), ", ") + `),
--path (a path under the console, like "ec2/home#Instances:"), or --url (any
console URL, for example one pasted from a colleague). --region takes a
region or a shorthand like euw1 or use1; global services get none.

The browser is the account's browser from the config, else [console]'s,
else the default one. The presets "firefox-container" and
"chrome-profile" open each account in a container or profile of its own,
so that several accounts stay open side by side.

ACCOUNT may also be an IAM user with console = true in the config: its own
account's console, signed in with GetFederationToken. Without ACCOUNT, on
a terminal, hopd lists the accounts to pick from.

--switch-role-link prints the console's own Switch Role link for the
account instead, for people who sign in to the console as themselves.`,
		Example: `  hopd console production
  hopd console staging --service ddb --region euw1
  hopd console production --path 'ec2/home#Instances:'
  hopd console sandbox --url 'https://eu-west-1.console.aws.amazon.com/lambda/home?region=eu-west-1#/functions'
  hopd console production --print      # print the sign-in URL instead of opening it
  hopd console production --switch-role-link`,
		Args:              usageArgs(cobra.MaximumNArgs(1)),
		ValidArgsFunction: completeAccounts(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkConsoleFlags(cmd, &req, switchRole); err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			if len(args) == 1 {
				req.Account = args[0]
			} else if req.Account, err = pickAccount(cmd.Context(), c, "hopd console ACCOUNT"); err != nil {
				return err
			}
			if switchRole {
				return printSwitchRoleLink(cmd, c, req.Account)
			}
			link, err := c.ConsoleLink(cmd.Context(), req)
			var ae *client.APIError
			if errors.As(err, &ae) && ae.Code == "not_found" {
				return errors.New("the running daemon cannot open the console: it is older than this hopd; restart it")
			}
			if err != nil {
				return err
			}
			if print {
				fmt.Fprintln(cmd.OutOrStdout(), link.URL)
				return nil
			}
			if link.Open == "" {
				return errors.New("the running daemon hands out no one-time console links: it is older than this hopd; restart it, or use --print")
			}
			if err := console.Open(cmd.Context(), link.Open, link.Browser); err != nil {
				return console.ConsoleAdvice(err, req.Account)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "Opened the console of %s in the browser%s.\n", req.Account, sessionEnd(link.Ends))
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&print, "print", false, "print the sign-in URL instead of opening it (it lets anyone in for 15 minutes: keep it to yourself)")
	f.StringVar(&req.Region, "region", "", "open the console in this region (or shorthand, like euw1) instead of the account's own")
	f.StringVar(&req.Service, "service", "", "land on this service's console, like s3, ec2, lambda, iam or ddb")
	f.StringVar(&req.Path, "path", "", "land on this path under the console, like 'ec2/home#Instances:'")
	f.StringVar(&req.URL, "url", "", "land on this console URL, for example one a colleague sent")
	f.BoolVar(&req.Logout, "logout-first", false, "sign the browser out of the console session it has before signing in (without AWS multi-session, one account at a time)")
	f.BoolVar(&switchRole, "switch-role-link", false, "print the console's Switch Role link for the account instead of signing in")
	cmd.MarkFlagsMutuallyExclusive("service", "path", "url")
	return cmd
}

// checkConsoleFlags catches bad input before anything is asked of AWS.
func checkConsoleFlags(cmd *cobra.Command, req *api.ConsoleRequest, switchRole bool) error {
	if switchRole {
		for _, name := range []string{"print", "region", "service", "path", "url", "logout-first"} {
			if cmd.Flags().Changed(name) {
				return fmt.Errorf("--switch-role-link prints a link and signs nothing in: drop --%s", name)
			}
		}
		return nil
	}
	if req.Region != "" {
		region, err := console.ExpandRegion(req.Region)
		if err != nil {
			return fmt.Errorf("--region: %w", err)
		}
		// Any partition will do here: the daemon checks the account's.
		req.Region = region
	}
	if req.Service != "" {
		if _, ok := console.ServiceName(req.Service); !ok {
			return fmt.Errorf("--service: unknown service %q: use one of %s, or --path", req.Service, strings.Join(console.Services(), ", "))
		}
	}
	return nil
}

// sessionEnd says when a console session will end, when it is known.
func sessionEnd(ends time.Time) string {
	if ends.IsZero() {
		return ""
	}
	return "; the console session ends at " + ends.Local().Format("15:04") + " (open it again then)"
}

// printSwitchRoleLink prints the console's Switch Role link for an account
// the daemon knows.
func printSwitchRoleLink(cmd *cobra.Command, c *client.Client, name string) error {
	accounts, err := switchRoleAccounts(cmd, c)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		if a.Name == name {
			fmt.Fprintln(cmd.OutOrStdout(), switchrole.Link(a))
			return nil
		}
	}
	return fmt.Errorf("no account %q that the console's Switch Role can reach: see `hopd accounts` (Identity Center accounts have none)", name)
}

// switchRoleAccounts are the accounts hopd reaches by assuming a role,
// which the console's Switch Role can reach too; Identity Center's are
// not among them.
func switchRoleAccounts(cmd *cobra.Command, c *client.Client) ([]switchrole.Account, error) {
	st, err := c.Status(cmd.Context())
	if err != nil {
		return nil, err
	}
	var out []switchrole.Account
	for _, a := range st.Broker.Accounts {
		if a.SSO != "" {
			continue
		}
		out = append(out, switchrole.Account{Name: a.Name, ID: a.ID, Role: a.Role, Color: a.Color, Region: a.Region})
	}
	return out, nil
}
