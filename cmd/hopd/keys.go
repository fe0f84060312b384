package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hopd/hopd/internal/client"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/keychain"
)

func newKeysCmd(g *globals) *cobra.Command {
	keys := &cobra.Command{
		Use:   "keys",
		Short: "Store or delete the IAM user's access keys in the OS keychain",
	}
	var force bool
	set := &cobra.Command{
		Use:   "set [USER]",
		Short: "Store an IAM user's access key id and secret in the keychain",
		Long: `Store the long-lived access key of an IAM user in the OS keychain (service
"hopd", item USER). From a terminal it asks for both without echoing the
secret; otherwise it reads two lines from standard input: the access key id,
then the secret access key. Malformed keys are refused before anything is
stored. USER defaults to the only user in the config; a USER the config
does not name is refused in a script (--force stores it anyway) and needs
a yes on a terminal, so that a typo does not store keys nobody uses.`,
		Example: `  hopd keys set michael
  printf '%s\n%s\n' "$KEY_ID" "$SECRET" | hopd keys set michael`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			user, err := g.userArg(args)
			if err != nil {
				return err
			}
			if profile := g.profileOf(user); profile != "" {
				return fmt.Errorf("user %s takes its credentials from the AWS profile %s (profile in the config), so hopd needs and stores no keys for it; to use keys instead, remove profile from its [user]", user, profile)
			}
			in := bufio.NewReader(os.Stdin)
			if !force {
				if err := g.confirmUnknownUser(in, cmd.ErrOrStderr(), user); err != nil {
					return err
				}
			}
			k, err := readKeys(os.Stdin, in, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			kc := keychain.New()
			if err := kc.SetKeys(user, k); err != nil {
				return err
			}
			// A session started with older keys must not outlive them.
			if err := kc.DeleteSession(user); err != nil && !errors.Is(err, keychain.ErrNotFound) {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Stored the keys of user %s in the keychain.\n", user)
			return nil
		},
	}
	set.Flags().BoolVar(&force, "force", false, "store the keys even when the config names no such user")
	keys.AddCommand(set)
	keys.AddCommand(&cobra.Command{
		Use:   "rm [USER]",
		Short: "Delete an IAM user's keys and cached session from the keychain",
		Args:  usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			user, err := g.userArg(args)
			if err != nil {
				return err
			}
			if err := keychain.New().DeleteKeys(user); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Deleted the keys of user %s from the keychain.\n", user)
			// The running daemon holds a session made from them: it must go now.
			c, err := g.client()
			if errors.Is(err, client.ErrNotRunning) {
				return nil
			}
			if err == nil {
				err = c.KeysRemoved(cmd.Context(), user)
			}
			if err != nil {
				return fmt.Errorf("the keys are deleted, but the running hopd could not be told (%w): restart it so that it drops the session of %s", err, user)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "The running hopd dropped the session and role credentials of %s.\n", user)
			return nil
		},
	})
	keys.AddCommand(newKeysRotateCmd(g))
	return keys
}

// userArg is the USER argument, or the only user of the config.
func (g *globals) userArg(args []string) (string, error) {
	if len(args) == 1 {
		return args[0], nil
	}
	path, err := g.config()
	if err != nil {
		return "", err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return "", fmt.Errorf("name the user (hopd keys set USER), or fix the config: %w", err)
	}
	if len(cfg.Users) != 1 {
		return "", errors.New("the config has several users: name one (hopd keys set USER)")
	}
	return cfg.Users[0].Name, nil
}

// profileOf is the AWS profile the config's user takes its credentials
// from; "" for keys, or when the config cannot tell.
func (g *globals) profileOf(user string) string {
	path, err := g.config()
	if err != nil {
		return ""
	}
	cfg, err := config.Load(path)
	if err != nil {
		return ""
	}
	if u, ok := cfg.User(user); ok {
		return u.Profile
	}
	return ""
}

// confirmUnknownUser lets a USER the config does not name through only
// when the person at the terminal says so: "micheal" for "michael" would
// otherwise store keys that no daemon ever reads.
func (g *globals) confirmUnknownUser(in *bufio.Reader, prompt io.Writer, user string) error {
	path, err := g.config()
	if err != nil {
		return err
	}
	cfg, err := config.Load(path)
	if err != nil {
		// A config that does not load is reported by whatever reads it next;
		// storing keys first is a normal order of set-up.
		return nil
	}
	if _, ok := cfg.User(user); ok {
		return nil
	}
	names := make([]string, len(cfg.Users))
	for i, u := range cfg.Users {
		names[i] = u.Name
	}
	known := "it names no user"
	if len(names) > 0 {
		known = "its users: " + strings.Join(names, ", ")
	}
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return fmt.Errorf("user %s is not in the config %s (%s): check the name, or pass --force to store its keys anyway", user, path, known)
	}
	fmt.Fprintf(prompt, "User %s is not in the config %s (%s). Store its keys anyway? [y/N] ", user, path, known)
	answer, err := in.ReadString('\n')
	if err != nil && answer == "" {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return fmt.Errorf("nothing was stored: add user %s to the config first, or check the name", user)
	}
	return nil
}

// readKeys asks for the keys on a terminal, checking the id before it asks
// for the secret, or reads two lines from a pipe.
func readKeys(f *os.File, in *bufio.Reader, prompt io.Writer) (keychain.Keys, error) {
	var k keychain.Keys
	if term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(prompt, "Access key ID: ")
		line, err := in.ReadString('\n')
		if err != nil {
			return k, fmt.Errorf("reading the access key id: %w", err)
		}
		k.AccessKeyID = strings.TrimSpace(line)
		if err := keychain.ValidateAccessKeyID(k.AccessKeyID); err != nil {
			return k, fmt.Errorf("%w; nothing was stored", err)
		}
		fmt.Fprint(prompt, "Secret access key (not shown): ")
		secret, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return k, fmt.Errorf("reading the secret access key: %w", err)
		}
		k.SecretAccessKey = strings.TrimSpace(string(secret))
	} else {
		id, err1 := in.ReadString('\n')
		secret, err2 := in.ReadString('\n')
		k.AccessKeyID, k.SecretAccessKey = strings.TrimSpace(id), strings.TrimSpace(secret)
		if (err1 != nil || err2 != nil) && (k.AccessKeyID == "" || k.SecretAccessKey == "") {
			return k, errors.New("expected two lines on standard input: the access key id, then the secret access key")
		}
	}
	if err := keychain.ValidateKeys(k); err != nil {
		return k, fmt.Errorf("%w; nothing was stored", err)
	}
	return k, nil
}
