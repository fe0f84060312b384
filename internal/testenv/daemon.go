package testenv

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Daemon is one `hopd serve` in a directory of its own: HOME, state
// directory, config file and log. The end-to-end tests and the benchmarks
// both drive hopd through it; each adds what it asks of the daemon.
type Daemon struct {
	Bin     string   // the hopd binary
	Home    string   // HOME of the daemon and of its CLI
	State   string   // HOPD_STATE_DIR: daemon.json, token, hopd.pid
	Config  string   // HOPD_CONFIG, in a directory of its own (hopd watches it)
	LogPath string   // the daemon's stdout and stderr, every start appended
	Listen  string   // the config's listen address, checked against daemon.json
	Env     []string // hopd's environment, daemon and CLI alike

	tb   testing.TB
	cmd  *exec.Cmd
	done chan struct{}
	err  error // the exit status, valid once done is closed
}

// DaemonOptions say what a Daemon runs with.
type DaemonOptions struct {
	Bin     string   // the hopd binary (BuildHopd)
	Keyring []string // the Secret Service's environment (Keyring)
	STS     string   // where hopd's AWS calls go: AWS_ENDPOINT_URL
	Listen  string   // the listen address the config will name
	State   string   // the state directory; default one of the daemon's own
	Env     []string // more environment, after the rest (test hooks)
}

// NewDaemon lays out a directory for a daemon under tb's temporary
// directory; it starts nothing. The daemon, if running, is stopped when
// the test ends, and a failed test shows its log.
func NewDaemon(tb testing.TB, opts DaemonOptions) *Daemon {
	tb.Helper()
	dir := tb.TempDir()
	d := &Daemon{
		Bin:     opts.Bin,
		Home:    filepath.Join(dir, "home"),
		State:   cmp.Or(opts.State, filepath.Join(dir, "state")),
		Config:  filepath.Join(dir, "config", "config.toml"),
		LogPath: filepath.Join(dir, "hopd.log"),
		Listen:  opts.Listen,
		tb:      tb,
	}
	for _, p := range []string{d.Home, filepath.Dir(d.Config)} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			tb.Fatal(err)
		}
	}
	env := append(BaseEnv(), opts.Keyring...)
	// Clipped, so that append(d.Env, ...) in a test copies it rather than
	// writing into an array another such append shares.
	d.Env = slices.Clip(append(append(env,
		"HOME="+d.Home, // after the keyring's HOME, so it wins
		"HOPD_STATE_DIR="+d.State,
		"HOPD_CONFIG="+d.Config,
		"AWS_ENDPOINT_URL="+opts.STS,
	), opts.Env...))
	tb.Cleanup(func() {
		if err := d.Stop(); err != nil {
			tb.Error(err)
		}
		if tb.Failed() {
			tb.Logf("hopd log (%s):\n%s", d.LogPath, d.Log())
		}
	})
	return d
}

// BaseEnv is the part of the test's own environment that children may see:
// enough to find programs and Python packages, and nothing AWS- or
// hopd-related, so that a developer's real credentials, profiles and daemon
// never take part in a test.
func BaseEnv() []string {
	keep := []string{"PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV", "PYENV_ROOT", "PYENV_VERSION", "GOCOVERDIR"}
	var env []string
	for _, k := range keep {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// WriteConfig replaces the config file the way editors do: a temporary
// file next to it, renamed over it.
func (d *Daemon) WriteConfig(content string) {
	d.tb.Helper()
	tmp := d.Config + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		d.tb.Fatal(err)
	}
	if err := os.Rename(tmp, d.Config); err != nil {
		d.tb.Fatal(err)
	}
}

// Command is a hopd command with the daemon's environment.
func (d *Daemon) Command(args ...string) *exec.Cmd {
	c := exec.Command(d.Bin, args...)
	c.Env = d.Env
	return c
}

// Start runs `hopd serve --no-tray` with more flags and waits until it has
// written daemon.json. It can start the daemon again after Stop, with the
// same HOME, state, config and keyring.
func (d *Daemon) Start(flags ...string) {
	d.tb.Helper()
	logf, err := os.OpenFile(d.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		d.tb.Fatal(err)
	}
	defer logf.Close()
	cmd := d.Command(append([]string{"serve", "--no-tray"}, flags...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		d.tb.Fatalf("cannot start hopd serve: %v", err)
	}
	done := make(chan struct{})
	d.cmd, d.done = cmd, done
	go func() {
		d.err = cmd.Wait()
		close(done)
	}()

	var info DaemonInfo
	exited := false
	Poll(15*time.Second, func() bool {
		select {
		case <-done:
			exited = true
		default:
		}
		info = d.Info()
		return info.PID == cmd.Process.Pid || exited
	})
	switch {
	case info.PID == cmd.Process.Pid:
		if d.Listen != "" && info.Listen != d.Listen {
			d.tb.Fatalf("daemon.json says hopd listens on %q; the config says %q", info.Listen, d.Listen)
		}
	case exited:
		d.tb.Fatalf("hopd serve exited before it wrote daemon.json (%v); its log:\n%s", d.err, d.Log())
	default:
		d.tb.Fatalf("hopd serve did not write %s within 15s; its log:\n%s", filepath.Join(d.State, "daemon.json"), d.Log())
	}
}

// DaemonInfo is what daemon.json says of the running daemon.
type DaemonInfo struct {
	PID    int    `json:"pid"`
	Listen string `json:"listen"`
}

// Info reads daemon.json; the zero DaemonInfo when there is none.
func (d *Daemon) Info() DaemonInfo {
	var info DaemonInfo
	data, err := os.ReadFile(filepath.Join(d.State, "daemon.json"))
	if err == nil {
		_ = json.Unmarshal(data, &info)
	}
	return info
}

// PID is the running daemon's process id.
func (d *Daemon) PID() int { return d.cmd.Process.Pid }

// Signal sends sig to the running daemon.
func (d *Daemon) Signal(sig os.Signal) error { return d.cmd.Process.Signal(sig) }

// Done is closed when the daemon last started has exited.
func (d *Daemon) Done() <-chan struct{} { return d.done }

// Wait waits for the daemon the test stopped itself (a signal of its own)
// and returns its exit status; the cleanup then leaves it alone.
func (d *Daemon) Wait() error {
	<-d.done
	d.cmd = nil
	return d.err
}

// Stop sends SIGTERM and waits: hopd must exit, cleanly, within 10 s. The
// error says how it did not. Stopping a daemon that is not running does
// nothing.
func (d *Daemon) Stop() error {
	if d.cmd == nil {
		return nil
	}
	cmd := d.cmd
	d.cmd = nil
	select {
	case <-d.done:
		return fmt.Errorf("hopd serve (pid %d) had exited before the test stopped it: %v", cmd.Process.Pid, d.err)
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
		if d.err != nil {
			return fmt.Errorf("hopd serve exited with %v after SIGTERM; want a clean exit", d.err)
		}
		return nil
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-d.done
		return fmt.Errorf("hopd serve (pid %d) did not exit within 10s of SIGTERM", cmd.Process.Pid)
	}
}

// Log is everything the daemon wrote.
func (d *Daemon) Log() string {
	data, err := os.ReadFile(d.LogPath)
	if err != nil {
		return fmt.Sprintf("(cannot read the log: %v)", err)
	}
	return string(data)
}

// Token is the content of the token file, the ECS and control API secret.
func (d *Daemon) Token() string {
	d.tb.Helper()
	data, err := os.ReadFile(filepath.Join(d.State, "token"))
	if err != nil {
		d.tb.Fatalf("reading hopd's token file: %v", err)
	}
	return strings.TrimSpace(string(data))
}
