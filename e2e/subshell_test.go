package e2e_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/testenv"
)

// tmuxSession is a terminal the test types into, on a tmux server of its own.
type tmuxSession struct {
	t          *testing.T
	sock, name string
	env        []string
}

func newTmux(t *testing.T, env []string, name string, command ...string) *tmuxSession {
	t.Helper()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		testenv.Missing(t, "tmux (apt-get install tmux), for a terminal to type into", err)
	}
	s := &tmuxSession{t: t, sock: filepath.Join(t.TempDir(), "tmux"), name: name, env: env}
	args := append([]string{"-S", s.sock, "new-session", "-d", "-x", "160", "-y", "40", "-s", name}, command...)
	if out, err := s.cmd(tmux, args...).CombinedOutput(); err != nil {
		t.Fatalf("starting tmux: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = s.cmd(tmux, "-S", s.sock, "kill-server").Run() })
	return s
}

func (s *tmuxSession) cmd(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Env = s.env
	return c
}

// send types keys, then Enter.
func (s *tmuxSession) send(keys string) {
	s.t.Helper()
	if out, err := s.cmd("tmux", "-S", s.sock, "send-keys", "-t", s.name, "-l", keys).CombinedOutput(); err != nil {
		s.t.Fatalf("tmux send-keys: %v: %s", err, out)
	}
	if out, err := s.cmd("tmux", "-S", s.sock, "send-keys", "-t", s.name, "Enter").CombinedOutput(); err != nil {
		s.t.Fatalf("tmux send-keys Enter: %v: %s", err, out)
	}
}

// screen is what the terminal shows.
func (s *tmuxSession) screen() string {
	out, _ := s.cmd("tmux", "-S", s.sock, "capture-pane", "-p", "-t", s.name).CombinedOutput()
	return string(out)
}

// waitScreen waits for the terminal to show want.
func (s *tmuxSession) waitScreen(want string) {
	s.t.Helper()
	eventually(s.t, 20*time.Second, func() string {
		if !strings.Contains(s.screen(), want) {
			return fmt.Sprintf("the terminal does not show %q:\n%s", want, s.screen())
		}
		return ""
	})
}

// waitFile waits for a file to have n lines and returns them.
func waitFile(t *testing.T, path string, n int) []string {
	t.Helper()
	var lines []string
	eventually(t, 20*time.Second, func() string {
		data, _ := os.ReadFile(path)
		if lines = strings.Split(strings.TrimSpace(string(data)), "\n"); len(data) == 0 || len(lines) < n {
			return fmt.Sprintf("%s has %q; want %d lines", path, data, n)
		}
		return ""
	})
	return lines
}

// TestExecShell: `hopd exec production` in a terminal opens a shell where
// the AWS CLI is production and HOPD_ACCOUNT says so; a hopd shell inside
// it is refused; `hopd exec` alone lists the accounts and takes staging
// by its number; a command after the account needs no --.
func TestExecShell(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("aws"); err != nil {
		testenv.Missing(t, "the AWS CLI (pip install awscli)", err)
	}
	d := startDaemon(t, options{accounts: threeAccounts})
	d.waitECS("production")
	env := append(d.shellEnv(), "SHELL=/bin/bash", "TERM=xterm-256color")
	out := t.TempDir()
	who := "aws sts get-caller-identity --query Arn --output text"

	t.Run("shell", func(t *testing.T) {
		s := newTmux(t, env, "prod", "hopd", "exec", "production")
		s.waitScreen("a shell for production")
		res := filepath.Join(out, "prod")
		s.send(who + " > " + res + `; echo "$HOPD_ACCOUNT" >> ` + res)
		lines := waitFile(t, res, 2)
		if want := d.assumedRoleARN(threeAccounts[0]); lines[0] != want || lines[1] != "production" {
			t.Errorf("in hopd's shell for production: %q; want %s and HOPD_ACCOUNT=production", lines, want)
		}
		nest := filepath.Join(out, "nest")
		s.send("hopd exec staging 2> " + nest + "; echo status $? >> " + nest)
		lines = waitFile(t, nest, 2)
		if !strings.Contains(lines[0], "already hopd's shell for production") || !strings.Contains(lines[0], "--force") || lines[1] == "status 0" {
			t.Errorf("a hopd shell inside hopd's shell: %q; want it refused, naming production and --force", lines)
		}
		s.send("exit")
	})

	t.Run("picker", func(t *testing.T) {
		s := newTmux(t, env, "pick", "hopd", "exec")
		s.waitScreen("Account (number")
		if screen := s.screen(); !strings.Contains(screen, "2  ") || !strings.Contains(screen, threeAccounts[1].ID) {
			t.Fatalf("the list does not show staging numbered with its id:\n%s", screen)
		}
		s.send("2")
		s.waitScreen("a shell for staging")
		res := filepath.Join(out, "pick")
		s.send(who + " > " + res)
		if lines := waitFile(t, res, 1); lines[0] != d.assumedRoleARN(threeAccounts[1]) {
			t.Errorf("after picking 2 the shell's AWS CLI is %q; want staging's %s", lines[0], d.assumedRoleARN(threeAccounts[1]))
		}
		s.send("exit")
	})

	t.Run("command without --", func(t *testing.T) {
		r := runCmd(t, env, "", d.Bin, "exec", "playground", "aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
		if want := d.assumedRoleARN(threeAccounts[2]); r.code != 0 || strings.TrimSpace(r.stdout) != want {
			t.Errorf("hopd exec playground aws ...: exit %d, %q (%s); want %s", r.code, r.stdout, r.stderr, want)
		}
		// Everything from the command's name on is the command's.
		r = runCmd(t, env, "", d.Bin, "exec", "playground", "aws", "--version")
		if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "aws-cli/") {
			t.Errorf("hopd exec playground aws --version: exit %d, %q %q; want the AWS CLI's version", r.code, r.stdout, r.stderr)
		}
		// A flag before the command that hopd does not know is ambiguous.
		r = runCmd(t, env, "", d.Bin, "exec", "playground", "--recursive", "aws")
		if r.code == 0 || !oneLine(r.stderr) || !strings.Contains(r.stderr, "put -- before the command") {
			t.Errorf("hopd exec playground --recursive aws: exit %d, %q; want one line saying to put -- first", r.code, r.stderr)
		}
		if r := runCmd(t, env, "", d.Bin, "exec", "--help"); r.code != 0 || !strings.Contains(r.stdout, "Without a\ncommand, start your shell") {
			t.Errorf("hopd exec --help: exit %d, %q", r.code, r.stdout)
		}
		r = runCmd(t, env, "", d.Bin, "exec")
		if r.code == 0 || !oneLine(r.stderr) || !strings.Contains(r.stderr, "name an account") {
			t.Errorf("hopd exec without a terminal or an account: exit %d, %q; want one line asking for an account", r.code, r.stderr)
		}
	})
}
