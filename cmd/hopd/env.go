package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/client"
	"github.com/hopd/hopd/internal/server"
)

// conflicting are variables that SDKs prefer over hopd's endpoints; exec
// removes them and env unsets them.
var conflicting = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SHARED_CREDENTIALS_FILE",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_DISABLED",
}

// accountEnv is what points an SDK at hopd for one account.
func accountEnv(ctx context.Context, c *client.Client, name string, imds bool) ([][2]string, error) {
	a, err := c.Account(ctx, name)
	if err != nil {
		return nil, err
	}
	var vars [][2]string
	if imds {
		if a.IMDSPort == 0 {
			return nil, fmt.Errorf("account %s has no IMDS listener: set imds_port for it in the config, or use the ECS form (without --imds)", name)
		}
		vars = append(vars,
			[2]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://" + server.IMDSHost + ":" + strconv.Itoa(a.IMDSPort) + "/"},
			[2]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv4"},
		)
	} else {
		vars = append(vars,
			[2]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI", c.BaseURL() + "/creds/" + a.Name},
			[2]string{"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", api.StateDir(c.StateDir).TokenFile()},
		)
	}
	vars = append(vars,
		// SDKs read ~/.aws/credentials before the ECS and IMDS endpoints, so
		// a [default] profile there would win over hopd.
		[2]string{"AWS_SHARED_CREDENTIALS_FILE", os.DevNull},
		[2]string{"AWS_REGION", a.Region},
		[2]string{"AWS_DEFAULT_REGION", a.Region},
		[2]string{"HOPD_ACCOUNT", a.Name},
	)
	return vars, nil
}

func newEnvCmd(g *globals) *cobra.Command {
	var imds bool
	cmd := &cobra.Command{
		Use:   "env ACCOUNT",
		Short: "Print shell export lines that point SDKs at hopd for an account",
		Long: `Print shell lines that point every AWS SDK and CLI at hopd for ACCOUNT:

  eval "$(hopd env production)"

The ECS form (default) names the token file, never the token, so no secret
sits in the environment. With --imds the IMDSv2 listener of the account
(its imds_port) is used instead.`,
		Args:              usageArgs(cobra.ExactArgs(1)),
		ValidArgsFunction: completeAccounts(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			vars, err := accountEnv(cmd.Context(), c, args[0], imds)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintln(w, "unset "+strings.Join(conflicting, " "))
			for _, v := range vars {
				fmt.Fprintf(w, "export %s=%s\n", v[0], shellQuote(v[1]))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&imds, "imds", false, "use the account's IMDSv2 listener instead of the ECS endpoint")
	return cmd
}

func newExecCmd(g *globals) *cobra.Command {
	var imds bool
	cmd := &cobra.Command{
		Use:   "exec ACCOUNT -- COMMAND [ARGS...]",
		Short: "Run a command with its SDKs pointed at hopd for an account",
		Example: `  hopd exec staging -- aws sts get-caller-identity
  hopd exec production --imds -- terraform plan`,
		Args:              usageArgs(cobra.MinimumNArgs(2)),
		ValidArgsFunction: completeAccounts(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 1 {
				return errors.New("usage: hopd exec ACCOUNT -- COMMAND [ARGS...]")
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			vars, err := accountEnv(cmd.Context(), c, args[0], imds)
			if err != nil {
				return err
			}
			return runWithEnv(args[1], args[2:], vars)
		},
	}
	cmd.Flags().BoolVar(&imds, "imds", false, "use the account's IMDSv2 listener instead of the ECS endpoint")
	return cmd
}

// runWithEnv runs a command in the foreground and exits with its status.
func runWithEnv(name string, args []string, vars [][2]string) error {
	env := make([]string, 0, len(os.Environ())+len(vars))
	drop := map[string]bool{}
	for _, k := range conflicting {
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

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:[]") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
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
