// Package autostart makes hopd start when the user logs in: an XDG autostart
// entry or a systemd --user unit on Linux, a LaunchAgent on macOS, the Run
// key on Windows.
package autostart

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"unicode/utf8"
)

// Method is a way of starting hopd at login.
type Method string

// The methods, by platform.
const (
	XDG         Method = "xdg"         // Linux and BSD desktops: ~/.config/autostart/hopd.desktop
	Systemd     Method = "systemd"     // Linux: a systemd --user unit bound to graphical-session.target
	LaunchAgent Method = "launchagent" // macOS: ~/Library/LaunchAgents
	RunKey      Method = "registry"    // Windows: HKCU\Software\Microsoft\Windows\CurrentVersion\Run
)

// ServeArgs are the arguments every entry passes to hopd: --autostart makes
// a second hopd exit 0 ("already running") so that login managers and
// launchd do not treat it as a crash.
var serveArgs = []string{"serve", "--autostart"}

// Options say what Enable writes.
type Options struct {
	// Method is how hopd starts; "" keeps the method of an entry hopd
	// wrote before, or else uses the platform's default (XDG on Linux).
	Method Method
	// Args are extra hopd flags for the entry, after "serve --autostart",
	// such as "--config", path.
	Args []string
	// StateDir is where a LaunchAgent sends hopd's stdout and stderr
	// (only start-up failures and crashes: the log itself goes to
	// hopd.log). Required on macOS.
	StateDir string
}

// State describes the entry that starts hopd at login, if any.
type State struct {
	Enabled bool
	Method  Method
	Path    string   // the entry: a file, or the registry value's full name
	Command []string // what the entry runs: the program, then its arguments
	Ours    bool     // hopd wrote the entry (so disable may remove it)
	System  bool     // installed for every user (a package's /etc/xdg/autostart)
	Missing bool     // the program does not exist any more (moved, or removed by an upgrade)
	Current bool     // the program is the hopd that asked
	Note    string   // something the user should know, in a sentence; may be ""
}

// Program is the file the entry starts, "" when disabled.
func (s State) Program() string {
	if len(s.Command) == 0 {
		return ""
	}
	return s.Command[0]
}

// Problem is a one-line sentence saying what is wrong with an enabled
// entry and how to fix it, or "" when nothing is.
func (s State) Problem(exe string) string {
	if !s.Enabled || !s.Missing {
		return ""
	}
	return fmt.Sprintf("the autostart entry %s starts %s, which no longer exists (moved or upgraded?): run `hopd autostart enable` to point it at %s",
		s.Path, s.Program(), exe)
}

// runKey is the Windows Run key, behind an interface so that the value hopd
// writes can be tested on any platform.
type runKey interface {
	Get(name string) (value string, ok bool, err error)
	Set(name, value string) error
	Delete(name string) error
}

// Manager reads and writes the entries of one user on one platform.
type Manager struct {
	goos       string
	home       string
	configHome string   // $XDG_CONFIG_HOME or ~/.config
	configDirs []string // $XDG_CONFIG_DIRS or /etc/xdg: where packages put system-wide entries
	exe        string   // the running hopd
	uid        int
	run        func(ctx context.Context, name string, args ...string) error
	lookPath   func(string) (string, error)
	reg        runKey
}

// New returns the Manager for the current user and the running binary.
func New() (*Manager, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return nil, fmt.Errorf("finding the home directory for the autostart entry: %w (set HOME)", err)
	}
	exe, err := Executable()
	if err != nil {
		return nil, err
	}
	m := &Manager{
		goos:       runtime.GOOS,
		home:       home,
		configHome: filepath.Join(home, ".config"),
		configDirs: []string{"/etc/xdg"},
		exe:        exe,
		uid:        os.Getuid(),
		run:        runCommand,
		lookPath:   exec.LookPath,
		reg:        systemRunKey(),
	}
	// The XDG spec says to ignore relative paths.
	if d := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(d) {
		m.configHome = d
	}
	if ds := os.Getenv("XDG_CONFIG_DIRS"); ds != "" {
		m.configDirs = nil
		for _, d := range filepath.SplitList(ds) {
			if filepath.IsAbs(d) {
				m.configDirs = append(m.configDirs, d)
			}
		}
	}
	return m, nil
}

// Enable makes the running hopd start at login. It is what the tray's
// "Start at login" item calls.
func Enable(ctx context.Context, opts Options) (State, error) {
	m, err := New()
	if err != nil {
		return State{}, err
	}
	return m.Enable(ctx, opts)
}

// Disable stops hopd from starting at login, removing only entries hopd
// wrote.
func Disable(ctx context.Context) (State, error) {
	m, err := New()
	if err != nil {
		return State{}, err
	}
	return m.Disable(ctx)
}

// Status says whether and how hopd starts at login.
func Status() (State, error) {
	m, err := New()
	if err != nil {
		return State{}, err
	}
	return m.Status()
}

// Executable is the absolute path of the running hopd as the user knows
// it: when hopd was started through a symlink on PATH (Homebrew's
// /opt/homebrew/bin/hopd), that link, which survives upgrades, rather than
// the versioned file behind it.
func Executable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding the hopd binary for the autostart entry: %w", err)
	}
	exe, err = filepath.Abs(exe)
	if err != nil {
		return "", fmt.Errorf("finding the hopd binary for the autostart entry: %w", err)
	}
	if len(os.Args) > 0 {
		if p, err := exec.LookPath(os.Args[0]); err == nil {
			if abs, err := filepath.Abs(p); err == nil && abs != exe && sameFile(abs, exe) {
				return abs, nil
			}
		}
	}
	return exe, nil
}

func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}

// methods are the platform's methods, the default first.
func (m *Manager) methods() []Method {
	switch m.goos {
	case "darwin":
		return []Method{LaunchAgent}
	case "windows":
		return []Method{RunKey}
	case "linux":
		return []Method{XDG, Systemd}
	default:
		return []Method{XDG}
	}
}

func (m *Manager) supports(method Method) bool {
	for _, x := range m.methods() {
		if x == method {
			return true
		}
	}
	return false
}

// Enable writes (or repairs) the entry so that it starts this hopd with
// opts, and removes hopd's entries of the platform's other methods so that
// hopd is started once.
func (m *Manager) Enable(ctx context.Context, opts Options) (State, error) {
	method := opts.Method
	if method == "" {
		method = m.methods()[0]
		if st, err := m.Status(); err == nil && st.Enabled && st.Ours && !st.System {
			method = st.Method
		}
	}
	if !m.supports(method) {
		var names []string
		for _, x := range m.methods() {
			names = append(names, string(x))
		}
		return State{}, fmt.Errorf("autostart method %q does not exist on %s: use %s", method, m.goos, strings.Join(names, " or "))
	}
	cmd := append(append([]string{m.program()}, serveArgs...), opts.Args...)
	for _, a := range cmd {
		if strings.ContainsAny(a, "\x00\r\n") || !utf8.ValidString(a) {
			return State{}, fmt.Errorf("cannot write an autostart entry for %q: it has a line break or is not UTF-8; move hopd to a plainer path", a)
		}
	}
	var note string
	var err error
	switch method {
	case XDG:
		if err = m.removeSystemd(ctx); err == nil {
			err = m.writeDesktop(cmd)
		}
	case Systemd:
		if err = m.writeUnit(cmd); err == nil {
			if err = m.hideDesktop(); err == nil {
				note = m.systemdReload(ctx)
			}
		}
	case LaunchAgent:
		if opts.StateDir == "" {
			return State{}, errors.New("autostart on macOS needs the state directory for its log (a bug in the caller)")
		}
		if err = m.writePlist(cmd, opts.StateDir); err == nil {
			note = m.bootstrap(ctx)
		}
	case RunKey:
		err = m.setRunValue(cmd)
	}
	if err != nil {
		return State{}, err
	}
	st, err := m.Status()
	if err != nil {
		return st, err
	}
	if note == "" && isTemp(m.exe) {
		note = "this hopd is in a temporary directory (go run?); install it somewhere lasting and run `hopd autostart enable` from there"
	}
	st.Note = note
	return st, nil
}

// Disable removes every entry hopd wrote on this platform. On Linux, when a
// package installed a system-wide entry, it writes a hidden entry in its
// place, which is how the XDG spec lets one user opt out. An entry that
// hopd did not write is left alone and named in the error.
func (m *Manager) Disable(ctx context.Context) (State, error) {
	var err error
	switch m.goos {
	case "darwin":
		err = m.removePlist()
	case "windows":
		err = m.deleteRunValue()
	default:
		if err = m.removeSystemd(ctx); err == nil {
			err = m.hideDesktop()
		}
	}
	if err != nil {
		return State{}, err
	}
	st, err := m.Status()
	if err == nil && st.Enabled {
		err = fmt.Errorf("%s still starts hopd at login and was not written by hopd: remove it yourself", st.Path)
	}
	return st, err
}

// Status finds the entry that starts hopd at login.
func (m *Manager) Status() (State, error) {
	var st State
	var err error
	switch m.goos {
	case "darwin":
		st, err = m.plistState()
	case "windows":
		st, err = m.runValueState()
	default:
		st, err = m.unitState()
		if err == nil && !st.Enabled {
			st, err = m.desktopState()
		}
	}
	if err != nil || !st.Enabled {
		return st, err
	}
	prog := st.Program()
	if !filepath.IsAbs(prog) {
		// A package's entry says "hopd" and relies on PATH.
		if p, err := m.lookPath(prog); err == nil {
			prog = p
		}
	}
	if _, err := os.Stat(prog); err != nil {
		st.Missing = true
	}
	st.Current = !st.Missing && (prog == m.exe || sameFile(prog, m.exe) || sameFile(prog, m.program()))
	return st, nil
}

// program is what entries start: the running hopd, or on Windows its
// console-less twin hopdw.exe when it sits next to it, so that no console
// window opens at login.
func (m *Manager) program() string {
	if m.goos == "windows" {
		w := filepath.Join(filepath.Dir(m.exe), "hopdw.exe")
		if _, err := os.Stat(w); err == nil {
			return w
		}
	}
	return m.exe
}

func isTemp(path string) bool {
	tmp := os.TempDir()
	if t, err := filepath.EvalSymlinks(tmp); err == nil {
		tmp = t
	}
	p := path
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	rel, err := filepath.Rel(tmp, p)
	return err == nil && !strings.HasPrefix(rel, "..")
}

// runCommand runs a helper (systemctl, launchctl) and turns its failure
// into one line.
func runCommand(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		if msg != "" {
			return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, msg)
		}
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}
