package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newSigninLinkCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "signin-link [USER|ACCOUNT|SSO]",
		Short: "Print the page where you sign in to the console as yourself",
		Long: `Print where a person signs in to the AWS console without hopd: the IAM
user's account sign-in page, https://<alias>.signin.aws.amazon.com/console
(the account's alias when it has one and the user may call
iam:ListAccountAliases, else its 12-digit id), or an [[sso]]'s AWS access
portal (its start_url).

With no argument: the only user or [[sso]] of the config. An account name
means the user hopd hops from to reach it. Nothing secret is printed.`,
		Example: `  hopd signin-link
  hopd signin-link michael
  hopd signin-link production`,
		Args:              usageArgs(cobra.MaximumNArgs(1)),
		ValidArgsFunction: completeAccounts(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			link, err := c.SigninLink(cmd.Context(), name)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), link.URL)
			return nil
		},
	}
}
