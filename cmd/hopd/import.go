package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/hopd/hopd/internal/awsconfig"
	"github.com/hopd/hopd/internal/sdkenv"
)

func newImportCmd(g *globals) *cobra.Command {
	var from string
	var write bool
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Propose a hopd config from the role profiles in ~/.aws/config",
		Long: `Read the profiles of the AWS shared config file ($AWS_CONFIG_FILE, or
~/.aws/config) that assume a role from an IAM user's keys (role_arn with
source_profile; mfa_serial, region and color are taken too) and print the
hopd config that reaches the same accounts: one user per source_profile,
one account per role profile.

Profiles hopd cannot take over (role chains, SSO, credential_source) are
listed on standard error with the reason. With --write the proposal becomes
the config file, if there is none yet; hopd never overwrites one.

Afterwards store each user's keys with "hopd keys set USER".`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			target, err := g.config()
			if err != nil {
				return err
			}
			if _, err := os.Lstat(target); write && err == nil {
				return fmt.Errorf("%s already exists: hopd does not overwrite it; run hopd import without --write and merge what it prints by hand", target)
			}
			src := from
			if src == "" {
				var err error
				if src, err = awsconfig.Path(); err != nil {
					return err
				}
			}
			var data []byte
			data, err = os.ReadFile(src)
			if err != nil {
				return fmt.Errorf("reading the AWS config file: %w (set AWS_CONFIG_FILE or use --from)", err)
			}
			p, err := awsconfig.Propose(src, data)
			for _, n := range p.Notes {
				fmt.Fprintln(cmd.ErrOrStderr(), "note: "+n)
			}
			if errors.Is(err, awsconfig.ErrNothingToImport) {
				return fmt.Errorf("%s: %w", src, err)
			}
			if err != nil {
				return err
			}
			if !write {
				_, err := fmt.Fprint(cmd.OutOrStdout(), p.TOML())
				return err
			}
			if err := awsconfig.WriteNew(target, []byte(p.TOML())); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Wrote %s with %d accounts.\n", target, len(p.Accounts))
			for _, u := range p.Users {
				fmt.Fprintf(out, "Next: hopd keys set %s\n", sdkenv.ShellQuote(u.Name))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the AWS config file to read (default $AWS_CONFIG_FILE or ~/.aws/config)")
	cmd.Flags().BoolVar(&write, "write", false, "write the proposal to the config file (only when there is none)")
	return cmd
}
