package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hopd/hopd/internal/atomicfile"
	"github.com/hopd/hopd/internal/switchrole"
)

func newExportCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export switch-roles|aesr",
		Short: "Write the accounts as Switch Role bookmarks or an AWS Extend Switch Roles config",
		Long: `For people who sign in to the console as themselves and switch roles
there: write every account hopd reaches by assuming a role (Identity
Center's aside) in a form the browser takes.

  switch-roles  an HTML bookmarks file, one Switch Role link per account,
                with its name and colour; every browser imports it
  aesr          a config for the AWS Extend Switch Roles extension, with
                each account's colour; paste it into its Configuration page

The output goes to standard output, or with -o to a file, written whole
or not at all.`,
		Example: `  hopd export switch-roles -o hopd-bookmarks.html
  hopd export aesr | xclip -selection clipboard`,
		Args:      usageArgs(cobra.ExactArgs(1)),
		ValidArgs: []string{"switch-roles", "aesr"},
	}
	var out string
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var write func([]switchrole.Account) []byte
		switch args[0] {
		case "switch-roles":
			write = switchrole.Bookmarks
		case "aesr":
			write = switchrole.AESR
		default:
			return fmt.Errorf("cannot export %q: write `hopd export switch-roles` or `hopd export aesr`", args[0])
		}
		c, err := g.client()
		if err != nil {
			return err
		}
		accounts, err := switchRoleAccounts(cmd, c)
		if err != nil {
			return err
		}
		if len(accounts) == 0 {
			return errors.New("no account to export: the console's Switch Role reaches only accounts hopd assumes a role in, and there are none (see `hopd accounts`)")
		}
		data := write(accounts)
		if out == "" || out == "-" {
			_, err := cmd.OutOrStdout().Write(data)
			return err
		}
		if err := atomicfile.Write(out, data, 0o644); err != nil {
			return fmt.Errorf("writing %s failed: %w", out, err)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "Wrote %d accounts to %s.\n", len(accounts), out)
		return nil
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to this file instead of standard output")
	return cmd
}
