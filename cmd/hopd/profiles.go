package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"sync"

	"github.com/spf13/cobra"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/awsconfig"
	"github.com/hopd/hopd/internal/client"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/discover"
	"github.com/hopd/hopd/internal/sdkenv"
)

func newProfilesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profiles",
		Short: "Write a profile per account into ~/.aws/config, or take them out",
		Long: `Keep a block of profiles in the AWS shared config file ($AWS_CONFIG_FILE, or
~/.aws/config), one per account hopd knows, each getting its credentials
from hopd through credential_process:

  [profile hopd-staging]
  credential_process = /usr/local/bin/hopd creds staging
  region = eu-west-1

so that "aws --profile hopd-staging ..." or AWS_PROFILE=hopd-staging works
with every tool. The block sits between two marker comments; nothing
outside it is ever changed, and the old file is kept as
config.hopd-backup before each change.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return errors.New(`say what to do: "hopd profiles write" or "hopd profiles remove" (see --help)`)
		},
	}
	cmd.AddCommand(newProfilesWriteCmd(g), newProfilesRemoveCmd())
	return cmd
}

// prefixRE is compiled at first use, not at the start of every hopd
// process (`hopd creds` runs before each AWS call of a profile).
var prefixRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_.@+-]{0,32}$`) })

func newProfilesWriteCmd(g *globals) *cobra.Command {
	var prefix string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "write",
		Short: "Write or update hopd's block of profiles in ~/.aws/config",
		Long: `Write one [profile PREFIXACCOUNT] per account hopd knows (from the running
daemon, or from the config and the last discovery when it is not running)
into hopd's block of the AWS shared config file, replacing the block if it
is there. Running it again after accounts change updates the block;
running it with nothing changed leaves the file untouched.

A profile of the same name outside hopd's block is an error: rename it, or
choose another --prefix.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !prefixRE().MatchString(prefix) {
				return fmt.Errorf("--prefix %q: use up to 32 letters, digits and . _ - @ + (profile names cannot hold spaces or brackets)", prefix)
			}
			profiles, from, err := g.profiles(cmd.Context(), prefix)
			if err != nil {
				return err
			}
			if len(profiles) == 0 {
				return errors.New("no accounts known: add [[account]] or [discover] to the config first")
			}
			out := cmd.OutOrStdout()
			if dryRun {
				block, err := awsconfig.SetBlock(nil, profiles)
				if err != nil {
					return err
				}
				_, err = out.Write(block)
				return err
			}
			path, err := awsconfig.Path()
			if err != nil {
				return err
			}
			r, err := awsconfig.Update(path, func(b []byte) ([]byte, error) { return awsconfig.SetBlock(b, profiles) })
			if err != nil {
				return err
			}
			if !r.Changed {
				fmt.Fprintf(out, "%s already has hopd's %d profiles; nothing to do.\n", r.Path, len(profiles))
				return nil
			}
			fmt.Fprintf(out, "Wrote %d profiles to %s (the accounts %s).\n", len(profiles), r.Path, from)
			printBackup(out, r)
			fmt.Fprintf(out, "Try: aws sts get-caller-identity --profile %s\n", profiles[0].Name)
			return nil
		},
	}
	cmd.Flags().StringVar(&prefix, "prefix", "hopd-", "what profile names start with")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the block instead of writing it")
	return cmd
}

func newProfilesRemoveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "remove",
		Short: "Take hopd's block of profiles out of ~/.aws/config",
		Long: `Remove hopd's block of profiles (and the blank line before it) from the AWS
shared config file. Nothing else in the file changes; the old file is kept
as config.hopd-backup.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := awsconfig.Path()
			if err != nil {
				return err
			}
			if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
				fmt.Fprintf(cmd.OutOrStdout(), "%s does not exist; nothing to do.\n", path)
				return nil
			}
			had := false
			r, err := awsconfig.Update(path, func(b []byte) ([]byte, error) {
				out, found, err := awsconfig.RemoveBlock(b)
				had = found
				return out, err
			})
			if err != nil {
				return err
			}
			if !had {
				fmt.Fprintf(cmd.OutOrStdout(), "%s has no hopd block; nothing to do.\n", r.Path)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Removed hopd's profiles from %s.\n", r.Path)
			printBackup(cmd.OutOrStdout(), r)
			return nil
		},
	}
}

func printBackup(w io.Writer, r awsconfig.Result) {
	if r.Backup != "" {
		fmt.Fprintf(w, "The previous file is in %s.\n", r.Backup)
	}
}

// profiles are the profiles for every account hopd knows, by name, and
// where the accounts came from.
func (g *globals) profiles(ctx context.Context, prefix string) ([]awsconfig.Profile, string, error) {
	type acct struct{ name, region string }
	var accts []acct
	from := "from the running daemon"
	c, err := g.client()
	if err == nil {
		var as []api.AccountStatus
		if as, err = c.Accounts(ctx); err == nil {
			for _, a := range as {
				accts = append(accts, acct{a.Name, a.Region})
			}
		}
	}
	if errors.Is(err, client.ErrNotRunning) {
		from = "from the config file and the last discovery; hopd is not running"
		cfg, err := g.offlineConfig()
		if err != nil {
			return nil, "", err
		}
		for _, a := range cfg.Accounts {
			accts = append(accts, acct{a.Name, a.Region})
		}
	} else if err != nil {
		return nil, "", err
	}

	command, err := g.credsCommand()
	if err != nil {
		return nil, "", err
	}
	sort.Slice(accts, func(i, j int) bool { return accts[i].name < accts[j].name })
	out := make([]awsconfig.Profile, len(accts))
	for i, a := range accts {
		out[i] = awsconfig.Profile{Name: prefix + a.name, CredentialProcess: command + " " + a.name, Region: a.region}
	}
	return out, from, nil
}

// offlineConfig is the effective config without a daemon: the file's
// config and the accounts of the last discovery.
func (g *globals) offlineConfig() (*config.Config, error) {
	path, err := g.config()
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	dir, err := g.state()
	if err != nil {
		return nil, err
	}
	found, err := discover.LoadCache(dir)
	if err != nil {
		return nil, err
	}
	return discover.Merge(cfg, found), nil
}

// credsCommand is the credential_process command line without the account;
// it names the state directory when it is not the default one.
func (g *globals) credsCommand() (string, error) {
	self, err := sdkenv.Self()
	if err != nil {
		return "", err
	}
	state, err := g.state()
	if err != nil {
		return "", err
	}
	def, _ := config.DefaultStateDir()
	return sdkenv.CredsCommand(self, state, def)
}
