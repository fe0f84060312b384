package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hopd/hopd/internal/client"
	"github.com/hopd/hopd/internal/sdkenv"
)

func newExecCmd(g *globals) *cobra.Command {
	var imds, force bool
	cmd := &cobra.Command{
		Use:   "exec [ACCOUNT] [flags] [--] [COMMAND [ARGS...]]",
		Short: "Run a command, or a shell, with its SDKs pointed at hopd for an account",
		Long: `Run COMMAND with its SDKs pointed at hopd for ACCOUNT, its own
credentials variables removed, and exit with its status. Without a
command, start your shell ($SHELL) that way, like aws-vault exec: exit it
to leave the account. A shell inside such a shell is refused (HOPD_ACCOUNT
says which account it is in) unless --force. Without an account, on a
terminal, hopd lists the accounts to pick from.

Put -- before a command whose own flags hopd would otherwise read:
hopd exec staging -- aws --version.

Over the ECS endpoint (the default) the command gets a token of its own,
in AWS_CONTAINER_AUTHORIZATION_TOKEN and in a file named by
AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, so SDKs that predate the token
file (AWS CLI 2.9, rclone 1.60) work too. The token reads only ACCOUNT's
credentials and is revoked when the command exits (at the latest after
12h), so one leaked from the command's environment is of little use.

Your prompt can show the account: HOPD_ACCOUNT is set in the command's
environment (see the README for bash, zsh, fish and starship snippets).`,
		Example: `  hopd exec staging -- aws sts get-caller-identity
  hopd exec staging aws s3 ls
  hopd exec production --imds -- terraform plan
  hopd exec production          # a shell for production
  hopd exec                     # pick an account, then a shell`,
		ValidArgsFunction: completeAccounts(g),
		// hopd reads its own flags only up to the command: everything from
		// the command's name on is the command's, -- or not.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			name, command, err := splitExecArgs(cmd, args)
			if err != nil {
				return err
			}
			if help, _ := cmd.Flags().GetBool("help"); help {
				return cmd.Help()
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			if name == "" {
				if name, err = pickAccount(cmd.Context(), c, "hopd exec ACCOUNT [-- COMMAND]"); err != nil {
					return err
				}
			}
			if len(command) == 0 {
				if cur := os.Getenv("HOPD_ACCOUNT"); cur != "" && !force {
					return fmt.Errorf("this shell is already hopd's shell for %s (HOPD_ACCOUNT): exit it first, or use --force to start one inside it", cur)
				}
				command = []string{userShell()}
				fmt.Fprintf(cmd.ErrOrStderr(), "hopd: a shell for %s; exit it to leave the account.\n", name)
			}
			a, err := accountEnv(cmd.Context(), c, name, modeOf(imds))
			if err != nil {
				return err
			}
			if !imds {
				revoke, err := scopeToRun(cmd.Context(), c, &a)
				if err != nil {
					return err
				}
				defer revoke()
			}
			vars, err := sdkenv.Vars(a, modeOf(imds))
			if err != nil {
				return err
			}
			return runWithEnv(command[0], command[1:], vars)
		},
	}
	cmd.Flags().BoolVar(&imds, "imds", false, "use the account's IMDSv2 listener instead of the ECS endpoint")
	cmd.Flags().BoolVar(&force, "force", false, "start a shell even inside another hopd shell")
	return cmd
}

// splitExecArgs parses hopd's flags, before and after the account, and
// returns the account and the command: the first word after the account
// that is not one of hopd's flags starts it, and so does --.
func splitExecArgs(cmd *cobra.Command, args []string) (account string, command []string, err error) {
	var own []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			command = args[i+1:]
		case strings.HasPrefix(a, "-") && a != "-":
			own = append(own, a)
			name := strings.TrimLeft(a, "-")
			if strings.Contains(name, "=") {
				continue
			}
			f := cmd.Flags().Lookup(name)
			if f == nil && len(name) == 1 {
				f = cmd.Flags().ShorthandLookup(name)
			}
			if f == nil {
				f = cmd.InheritedFlags().Lookup(name)
			}
			if f != nil && f.NoOptDefVal == "" && i+1 < len(args) { // a flag with a value
				i++
				own = append(own, args[i])
			}
			continue
		case account == "":
			account = a
			continue
		default:
			command = args[i:]
		}
		break
	}
	// cmd.ParseFlags does nothing under DisableFlagParsing; asking for the
	// inherited flags first merges --config and the rest into Flags.
	cmd.InheritedFlags()
	if err := cmd.Flags().Parse(own); err != nil {
		return "", nil, fmt.Errorf("%w: if the flag is the command's, put -- before the command, like hopd exec ACCOUNT -- aws --version", err)
	}
	if account == "" && len(command) > 0 {
		return "", nil, errors.New("name the account before the command: hopd exec ACCOUNT -- COMMAND [ARGS...]")
	}
	return account, command, nil
}

// userShell is the shell to start for hopd exec without a command.
func userShell() string {
	if sh := os.Getenv("SHELL"); sh != "" {
		return sh
	}
	if runtime.GOOS == "windows" {
		if c := os.Getenv("COMSPEC"); c != "" {
			return c
		}
		return "cmd.exe"
	}
	return "/bin/sh"
}

// execTTL caps the life of hopd exec's token, for a run that outlives it
// or a hopd exec killed before it could revoke it.
const execTTL = 12 * time.Hour

// scopeToRun gives the command a token of its own that reads only its
// account, in the variable and in a file of its own: old SDKs read the
// one, new ones the other, and a token leaked from the child's
// environment works for that account while the child runs. revoke ends it.
func scopeToRun(ctx context.Context, c *client.Client, a *sdkenv.Account) (revoke func(), err error) {
	t, err := c.ScopedToken(ctx, a.Name, execTTL)
	if err != nil {
		return nil, fmt.Errorf("getting a token for the command: %w", err)
	}
	revokeToken := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.RevokeToken(ctx, t.Token); err != nil {
			fmt.Fprintf(os.Stderr, "hopd: the command's token could not be revoked (%v); it stops working at %s\n", err, t.Expires.Local().Format("15:04"))
		}
	}
	f, err := os.CreateTemp(c.StateDir, ".exec-token-*") // mode 0600
	if err == nil {
		_, err = f.WriteString(t.Token)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		revokeToken()
		if f != nil {
			os.Remove(f.Name())
		}
		return nil, fmt.Errorf("writing the command's token file: %w", err)
	}
	a.ScopedToken, a.TokenFile = t.Token, f.Name()
	return func() {
		os.Remove(f.Name())
		revokeToken()
	}, nil
}

// runWithEnv runs a command in the foreground and exits with its status.
func runWithEnv(name string, args []string, vars [][2]string) error {
	env := make([]string, 0, len(os.Environ())+len(vars))
	drop := map[string]bool{}
	for _, k := range sdkenv.Conflicting {
		drop[k] = true
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			env = append(env, kv)
		}
	}
	for _, v := range vars {
		env = append(env, v[0]+"="+v[1])
	}
	cmd := exec.Command(name, args...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// The child shares our terminal and gets ^C itself; we only wait for it.
	signal.Ignore(os.Interrupt)
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return exitError{code: ee.ExitCode()}
		}
		return fmt.Errorf("running %s: %w", name, err)
	}
	return nil
}
