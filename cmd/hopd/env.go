package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/hopd/hopd/internal/client"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/sdkenv"
)

// accountEnv is what points an SDK at hopd for one account.
func accountEnv(ctx context.Context, c *client.Client, name string, mode sdkenv.Mode) (sdkenv.Account, error) {
	a, err := c.Account(ctx, name)
	if err != nil {
		return sdkenv.Account{}, err
	}
	if mode == sdkenv.IMDS && a.IMDSTaken {
		return sdkenv.Account{}, errors.New(takenIMDS(ctx, a) + "; or leave out --imds to use the ECS endpoint")
	}
	return sdkenv.Account{Name: a.Name, Region: a.Region, IMDSPort: a.IMDSPort, Listen: c.Listen, StateDir: c.StateDir}, nil
}

// modeOf is the endpoint --imds asks for.
func modeOf(imds bool) sdkenv.Mode {
	if imds {
		return sdkenv.IMDS
	}
	return sdkenv.ECS
}

func newEnvCmd(g *globals) *cobra.Command {
	var imds, scoped, unset bool
	var ttl time.Duration
	var shell string
	cmd := &cobra.Command{
		Use:   "env ACCOUNT | env --unset",
		Short: "Print shell lines that point SDKs at hopd for an account",
		Long: `Print shell lines that point every AWS SDK and CLI at hopd for ACCOUNT,
in the language of your shell:

  eval "$(hopd env production)"                           # bash, zsh, sh
  hopd env production | source                            # fish
  hopd env production | Out-String | Invoke-Expression    # PowerShell

The lines first remove what would win over hopd (AWS_PROFILE, keys in the
environment, another endpoint), so the account you name is the one you
get. The shell is --shell, else the one that ran hopd, else $SHELL.
--unset prints the lines that leave the account: none of hopd's variables
stays.

The ECS form (default) names the token file, never the token, so no secret
sits in the environment. With --imds the IMDSv2 listener of the account
(its imds_port) is used instead. hopd env works when the daemon is not
running, for the accounts of the config (so an eval in a shell's startup
file never breaks); SDKs then get credentials once it runs.

With --scoped the lines carry a token of their own in
AWS_CONTAINER_AUTHORIZATION_TOKEN, for SDKs too old for the token file
(AWS CLI 2.9, rclone 1.60): it reads only ACCOUNT's credentials and stops
working after --ttl (default 12h), or when hopd restarts.`,
		Example: `  eval "$(hopd env staging)"
  hopd env staging --shell fish | source
  eval "$(hopd env --unset)"`,
		Args: usageArgs(func(cmd *cobra.Command, args []string) error {
			if unset {
				return cobra.NoArgs(cmd, args)
			}
			return cobra.ExactArgs(1)(cmd, args)
		}),
		ValidArgsFunction: completeAccounts(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			sh := sdkenv.DetectShell(os.Getenv, sdkenv.ParentName())
			if shell != "" {
				var err error
				if sh, err = sdkenv.ParseShell(shell); err != nil {
					return err
				}
			}
			if unset {
				if imds || scoped {
					return errors.New("--unset leaves the account and takes no other flag but --shell")
				}
				_, err := fmt.Fprint(cmd.OutOrStdout(), sdkenv.UnsetLines(sh))
				return err
			}
			if scoped && imds {
				return errors.New("--scoped is for the ECS endpoint; IMDS needs no token: leave out one of --scoped and --imds")
			}
			a, c, err := envAccount(cmd.Context(), g, args[0], modeOf(imds), scoped)
			if err != nil {
				return err
			}
			if scoped {
				t, err := c.ScopedToken(cmd.Context(), a.Name, ttl)
				if err != nil {
					return err
				}
				a.ScopedToken = t.Token
			}
			lines, err := sdkenv.EnvLinesFor(a, modeOf(imds), sh)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(cmd.OutOrStdout(), lines)
			return err
		},
	}
	cmd.Flags().BoolVar(&imds, "imds", false, "use the account's IMDSv2 listener instead of the ECS endpoint")
	cmd.Flags().BoolVar(&scoped, "scoped", false, "print a token of its own that reads only this account, for SDKs that predate the token file")
	cmd.Flags().DurationVar(&ttl, "ttl", 12*time.Hour, "how long the --scoped token works (at most 168h)")
	cmd.Flags().StringVar(&shell, "shell", "", "write for this shell: bash, zsh, sh, fish, powershell or cmd (default: detected)")
	cmd.Flags().BoolVar(&unset, "unset", false, "print the lines that remove hopd's variables")
	return cmd
}

// envAccount is what `hopd env` points at: from the running daemon, or,
// when none runs, from the config (needsDaemon: --scoped cannot do
// without it). c is nil in the second case.
func envAccount(ctx context.Context, g *globals, name string, mode sdkenv.Mode, needsDaemon bool) (sdkenv.Account, *client.Client, error) {
	c, err := g.client()
	if err == nil {
		a, err := accountEnv(ctx, c, name, mode)
		if err == nil || !errors.Is(err, client.ErrNotRunning) {
			return a, c, err
		}
	} else if !errors.Is(err, client.ErrNotRunning) {
		return sdkenv.Account{}, nil, err
	}
	if needsDaemon {
		return sdkenv.Account{}, nil, fmt.Errorf("--scoped needs the daemon, which is %w", client.ErrNotRunning)
	}
	path, err := g.config()
	if err != nil {
		return sdkenv.Account{}, nil, err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return sdkenv.Account{}, nil, err
	}
	acct, ok := cfg.Account(name)
	if !ok {
		return sdkenv.Account{}, nil, fmt.Errorf("hopd is not running and %q is not an account of %s: start hopd (`hopd serve`) for discovered and Identity Center accounts, or check the name", name, path)
	}
	dir, err := g.state()
	if err != nil {
		return sdkenv.Account{}, nil, err
	}
	return sdkenv.Account{Name: acct.Name, Region: acct.Region, IMDSPort: acct.IMDSPort, Listen: cfg.Listen, StateDir: dir}, nil, nil
}

func completeAccounts(g *globals) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveDefault
		}
		c, err := g.client()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		as, err := c.Accounts(cmd.Context())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names := make([]string, 0, len(as))
		for _, a := range as {
			names = append(names, a.Name)
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
