package e2e_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/keychain"
)

// TestKeysSetUnknownUser: keys for a user the config does not name are
// refused in a script, stored with --force, and on a terminal stored only
// after a yes; a bad access key id is refused before the secret is asked.
func TestKeysSetUnknownUser(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, options{})
	kc := keychain.New()
	typo := d.user + "-typo"
	t.Cleanup(func() { _ = kc.DeleteKeys(typo) })
	stored := func() bool {
		t.Helper()
		_, err := kc.Keys(typo)
		if err != nil && !errors.Is(err, keychain.ErrNotFound) {
			t.Fatalf("reading the keychain: %v", err)
		}
		return err == nil
	}

	t.Run("script", func(t *testing.T) {
		r := d.runStdin(iamKeyID+"\n"+iamSecret+"\n", "keys", "set", typo)
		if r.code == 0 || !oneLine(r.stderr) || !strings.Contains(r.stderr, "not in the config") ||
			!strings.Contains(r.stderr, d.user) || !strings.Contains(r.stderr, "--force") {
			t.Errorf("hopd keys set %s in a script: exit %d, %q; want one line naming the config's user %s and --force", typo, r.code, r.stderr, d.user)
		}
		if stored() {
			t.Fatalf("the refused keys of %s are in the keychain", typo)
		}
		if r := d.runStdin(iamKeyID+"\n"+iamSecret+"\n", "keys", "set", "--force", typo); r.code != 0 || !stored() {
			t.Errorf("hopd keys set --force %s: exit %d, %q; want the keys stored", typo, r.code, r.stderr)
		}
		if err := kc.DeleteKeys(typo); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("terminal", func(t *testing.T) {
		// d.Env, not the SDKs' environment: keys set needs the keychain's bus.
		env := append(slices.Clone(d.Env), "PATH="+filepath.Dir(d.Bin)+":"+os.Getenv("PATH"), "SHELL=/bin/bash", "TERM=xterm-256color", "PS1=$ ")
		s := newTmux(t, env, "keys", "bash", "--norc", "--noprofile")
		out := filepath.Join(t.TempDir(), "status")
		set := "hopd keys set " + typo + "; echo status $? >> " + out

		s.send(set)
		s.waitScreen("Store its keys anyway? [y/N]")
		s.send("n")
		if lines := waitFile(t, out, 1); lines[0] == "status 0" || stored() {
			t.Fatalf("answering n: %q, stored %v; want a refusal and nothing stored:\n%s", lines, stored(), s.screen())
		}
		s.waitScreen("nothing was stored")

		s.clear("Store its keys anyway")
		s.send(set)
		s.waitScreen("Store its keys anyway? [y/N]")
		s.send("y")
		s.waitScreen("Access key ID:")
		s.send("ASIAE2ETEST000000001")
		if lines := waitFile(t, out, 2); lines[1] == "status 0" {
			t.Fatalf("a temporary key id was accepted: %q", lines)
		}
		if screen := s.screen(); !strings.Contains(screen, "must start with AKIA") || strings.Contains(screen, "Secret access key") {
			t.Errorf("a temporary key id: want it refused before the secret is asked for:\n%s", screen)
		}

		s.clear("Store its keys anyway")
		s.send(set)
		s.waitScreen("Store its keys anyway? [y/N]")
		s.send("y")
		s.waitScreen("Access key ID:")
		s.send(iamKeyID)
		s.waitScreen("Secret access key (not shown):")
		s.send(iamSecret)
		if lines := waitFile(t, out, 3); lines[2] != "status 0" || !stored() {
			t.Errorf("answering y with good keys: %q, stored %v:\n%s", lines, stored(), s.screen())
		}
		if strings.Contains(s.screen(), iamSecret) {
			t.Errorf("the terminal shows the secret")
		}
	})
}

// clear empties the terminal, so that the next wait cannot match what an
// earlier command printed.
func (s *tmuxSession) clear(gone string) {
	s.t.Helper()
	s.send("clear")
	eventually(s.t, 20*time.Second, func() string {
		if strings.Contains(s.screen(), gone) {
			return "the terminal still shows " + gone
		}
		return ""
	})
}

// TestConfigFlagOfAnotherFile: a command that talks to the running daemon
// refuses a --config that is not the daemon's, since its answer would come
// from the other file; the daemon's own file, by any path, is fine.
func TestConfigFlagOfAnotherFile(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, options{})
	other := filepath.Join(t.TempDir(), "other.toml")
	if err := os.WriteFile(other, []byte("[user]\nname = \"someone\"\n\n[[account]]\nname = \"elsewhere\"\nid = \"999999999999\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := d.run("--config", other, "accounts")
	if r.code == 0 || !oneLine(r.stderr) || !strings.Contains(r.stderr, other) || !strings.Contains(r.stderr, d.Config) {
		t.Errorf("hopd --config OTHER accounts: exit %d, %q; want one line naming both files", r.code, r.stderr)
	}
	link := filepath.Join(t.TempDir(), "same.toml")
	if err := os.Symlink(d.Config, link); err != nil {
		t.Fatal(err)
	}
	if r := d.run("--config", link, "accounts"); r.code != 0 || !strings.Contains(r.stdout, "production") {
		t.Errorf("hopd --config (a link to the daemon's config) accounts: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
}

// TestNoBrowser: `hopd dashboard` on a machine with no browser says how
// to print the link, not how to configure an account's browser.
func TestNoBrowser(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, options{})
	env := append(slices.Clone(d.Env), "PATH="+t.TempDir(), "BROWSER=")
	r := runCmd(t, env, "", d.Bin, "dashboard")
	if r.code == 0 || !oneLine(r.stderr) || !strings.Contains(r.stderr, "hopd dashboard --print") || strings.Contains(r.stderr, "browser =") {
		t.Errorf("hopd dashboard with no browser: exit %d, %q; want one line advising `hopd dashboard --print`", r.code, r.stderr)
	}
}
