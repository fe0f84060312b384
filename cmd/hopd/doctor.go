package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hopd/hopd/internal/doctor"
)

func newDoctorCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the setup and say what to fix",
		Long: `Check everything hopd needs and print one line per finding, saying what to
do about each problem:

  config     the config file loads and is valid
  keychain   the keychain answers and holds each user's keys
  profile    each [user] with a profile gets credentials from it (and what to
             run when it does not, such as aws login --profile NAME)
  daemon     whether hopd runs, and whether it took the last config edit
  ports      the listen address and every imds_port are hopd's or free
  tray       the desktop can show a tray icon
  autostart  hopd starts at login, and the entry starts a hopd that exists
  clock      this computer's clock agrees with STS's (AWS refuses requests
             signed more than 5 minutes off)

Works with or without a running daemon. Exits 1 when any line says FAIL.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := g.config()
			if err != nil {
				return err
			}
			dir, err := g.state()
			if err != nil {
				return err
			}
			rs := doctor.Run(cmd.Context(), doctor.Env{ConfigPath: path, StateDir: dir, KeyAge: keyAge, WithoutMFA: withoutMFA})
			out := cmd.OutOrStdout()
			if asJSON {
				if err := writeJSON(out, rs); err != nil {
					return err
				}
			} else {
				tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				for _, r := range rs {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Level, r.Check, r.Message)
				}
				tw.Flush()
			}
			switch n := doctor.Failed(rs); {
			case n == 1:
				return fmt.Errorf("1 problem to fix: see the line marked FAIL")
			case n > 1:
				return fmt.Errorf("%d problems to fix: see the lines marked FAIL", n)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the findings as JSON")
	return cmd
}
