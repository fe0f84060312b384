// Command hopd keeps an AWS IAM user's keys in the OS keychain and serves
// fresh role credentials for every account of an organisation on loopback.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/spf13/cobra"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

// exitError carries a process exit code through cobra.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	if g, account, ok := credsArgs(os.Args[1:]); ok {
		// The tray's package locks main to the first thread at init, for
		// macOS; held, every wait of this goroutine on the network hands
		// the thread over and back. creds never runs the tray.
		runtime.UnlockOSThread()
		err = runCreds(ctx, g, os.Stdout, account)
	} else {
		err = newRoot().ExecuteContext(ctx)
	}
	stop()
	var ee exitError
	switch {
	case errors.As(err, &ee):
		os.Exit(ee.code)
	case err != nil:
		fmt.Fprintln(os.Stderr, "hopd: "+err.Error())
		os.Exit(1)
	}
}

// globals are the flags every command shares.
type globals struct {
	configPath string
	stateDir   string
	logLevel   string
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "hopd",
		Short: "Fresh AWS credentials for every account, served on loopback",
		Long: `hopd holds your AWS sign-in (IAM Identity Center, any AWS profile, or an
IAM user's access keys in the OS keychain) and serves fresh credentials for
every account of your AWS Organization to any SDK or CLI on this machine:

  ECS endpoint       hopd env ACCOUNT        (AWS_CONTAINER_CREDENTIALS_FULL_URI)
  IMDSv2             hopd env ACCOUNT --imds (AWS_EC2_METADATA_SERVICE_ENDPOINT)
  credential_process hopd creds ACCOUNT      (in ~/.aws/config)

Run "hopd serve" (or just "hopd") to start the daemon; the other commands
talk to it.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unknown command %q: see `hopd --help`", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), g, serveFlags{})
		},
	}
	root.PersistentFlags().StringVar(&g.configPath, "config", "", "config file (default $HOPD_CONFIG or <user config dir>/hopd/config.toml)")
	root.PersistentFlags().StringVar(&g.stateDir, "state-dir", "", "state directory (default $HOPD_STATE_DIR or ~/.local/state/hopd)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.AddCommand(
		newServeCmd(g),
		newKeysCmd(g),
		newAccountsCmd(g),
		newEnvCmd(g),
		newExecCmd(g),
		newCredsCmd(g),
		newConsoleCmd(g),
		newSigninLinkCmd(g),
		newExportCmd(g),
		newMFACmd(g),
		newStatusCmd(g),
		newProfilesCmd(g),
		newImportCmd(g),
		newAutostartCmd(g),
		newDoctorCmd(g),
		newDashboardCmd(g),
		newSSOCmd(g),
		newVersionCmd(),
	)
	root.InitDefaultCompletionCmd()
	if bash, _, err := root.Find([]string{"completion", "bash"}); err == nil && bash.Name() == "bash" {
		bash.PreRun = func(cmd *cobra.Command, _ []string) { noteBashCompletion(cmd.ErrOrStderr()) }
	}
	return root
}

// noteBashCompletion says, on stderr, what the script needs when the
// bash-completion package is not there: without it nothing loads the
// script from the usual places, and bash says nothing.
func noteBashCompletion(w io.Writer) {
	for _, p := range []string{"/usr/share/bash-completion/bash_completion", "/etc/bash_completion",
		"/opt/homebrew/etc/profile.d/bash_completion.sh", "/usr/local/etc/profile.d/bash_completion.sh"} {
		if _, err := os.Stat(p); err == nil {
			return
		}
	}
	fmt.Fprintln(w, "hopd: the bash-completion package is missing: install it (apt-get install bash-completion, brew install bash-completion@2), then add `source <(hopd completion bash)` to ~/.bashrc")
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print hopd's version",
		Args:  usageArgs(cobra.NoArgs),
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "hopd "+version)
		},
	}
}

// usageArgs checks the number of arguments like cobra's validators, with an
// error that shows the usage line instead of counting arguments.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if check(cmd, args) == nil {
			return nil
		}
		if len(args) > 0 && check(cmd, nil) == nil && check(cmd, args[:1]) != nil {
			// It takes no arguments: the word was meant as a command.
			return fmt.Errorf("unknown command %q for %q: see `%s --help`", args[0], cmd.CommandPath(), cmd.CommandPath())
		}
		return fmt.Errorf("usage: %s (see `%s --help`)", cmd.UseLine(), cmd.CommandPath())
	}
}
