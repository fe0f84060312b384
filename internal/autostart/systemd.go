package autostart

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// unitName is the systemd --user unit hopd writes.
const unitName = "hopd.service"

// sessionTarget is active while a graphical session runs; starting with it
// gives hopd the session's environment (DISPLAY, the D-Bus session bus),
// which the tray needs.
const sessionTarget = "graphical-session.target"

func (m *Manager) unitPath() string {
	return filepath.Join(m.configHome, "systemd", "user", unitName)
}

// wantsPath is the link `systemctl --user enable` would make; hopd makes it
// itself so that enabling works before systemd runs (and in tests).
func (m *Manager) wantsPath() string {
	return filepath.Join(m.configHome, "systemd", "user", sessionTarget+".wants", unitName)
}

func renderUnit(cmd []string) []byte {
	var b bytes.Buffer
	b.WriteString("# " + marker + "\n")
	b.WriteString("[Unit]\n")
	b.WriteString("Description=hopd: fresh AWS credentials for every account, on loopback\n")
	b.WriteString("PartOf=" + sessionTarget + "\n")
	b.WriteString("After=" + sessionTarget + "\n\n")
	b.WriteString("[Service]\n")
	b.WriteString("ExecStart=" + unitExec(cmd) + "\n")
	// Restart after a crash, not after "already running" (exit 0) or a
	// clean Quit.
	b.WriteString("Restart=on-failure\n")
	b.WriteString("RestartSec=5\n\n")
	b.WriteString("[Install]\n")
	b.WriteString("WantedBy=" + sessionTarget + "\n")
	return b.Bytes()
}

// unitExec renders an ExecStart value: % is doubled so systemd expands no
// specifiers, and $ in the arguments (not in the program, where systemd
// expands no variables) so it expands no variables; arguments with spaces,
// quotes or backslashes are double-quoted with C escapes.
func unitExec(cmd []string) string {
	parts := make([]string, len(cmd))
	for i, a := range cmd {
		a = strings.ReplaceAll(a, "%", "%%")
		if i > 0 {
			a = strings.ReplaceAll(a, "$", "$$")
		}
		if a != "" && a != ";" && !strings.ContainsAny(a, " \t\"'\\") {
			parts[i] = a
			continue
		}
		a = strings.ReplaceAll(strings.ReplaceAll(a, `\`, `\\`), `"`, `\"`)
		parts[i] = `"` + a + `"`
	}
	return strings.Join(parts, " ")
}

// parseUnitExec undoes unitExec.
func parseUnitExec(v string) ([]string, error) {
	var w words
	quoted := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && i+1 < len(v):
			i++
			w.add(v[i])
		case c == '"':
			quoted, w.started = !quoted, true
		case !quoted && (c == ' ' || c == '\t'):
			w.blank()
		case (c == '%' || c == '$' && len(w.args) > 0) && i+1 < len(v) && v[i+1] == c:
			i++
			w.add(c)
		default:
			w.add(c)
		}
	}
	return w.command(quoted)
}

func (m *Manager) writeUnit(cmd []string) error {
	if strings.ContainsAny(cmd[0], "\"'\\") {
		return fmt.Errorf("systemd refuses to start a program whose path has quotes or backslashes (%s): move hopd, or use `hopd autostart enable --xdg`", cmd[0])
	}
	if err := writeOurs(m.unitPath(), renderUnit(cmd)); err != nil {
		return err
	}
	link := m.wantsPath()
	if target, err := os.Readlink(link); err == nil {
		if target == m.unitPath() {
			return nil
		}
		return fmt.Errorf("%s exists and points at %s, not at hopd's unit: remove it, then run `hopd autostart enable --systemd` again", link, target)
	} else if _, err := os.Lstat(link); err == nil {
		return fmt.Errorf("%s exists and was not made by hopd: remove it, then run `hopd autostart enable --systemd` again", link)
	}
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return fmt.Errorf("enabling the systemd unit: %w", err)
	}
	if err := os.Symlink(m.unitPath(), link); err != nil {
		return fmt.Errorf("enabling the systemd unit: %w", err)
	}
	return nil
}

// removeSystemd removes hopd's unit and its link, and nothing else.
func (m *Manager) removeSystemd(ctx context.Context) error {
	_, ours, err := readOurs(m.unitPath())
	if err != nil {
		return err
	}
	removed := false
	link := m.wantsPath()
	if target, err := os.Readlink(link); err == nil && target == m.unitPath() && ours {
		if err := os.Remove(link); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("disabling the systemd unit: %w", err)
		}
		removed = true
	}
	if ours {
		if err := removeOurs(m.unitPath()); err != nil {
			return err
		}
		removed = true
	}
	if removed {
		// Best effort: without it systemd forgets the unit at next login.
		_ = m.systemdReload(ctx)
	}
	return nil
}

// unitState reads hopd's unit; a unit that is not linked into the target
// is not enabled.
func (m *Manager) unitState() (State, error) {
	data, ours, err := readOurs(m.unitPath())
	if err != nil || data == nil {
		return State{Method: Systemd}, err
	}
	st := State{Method: Systemd, Path: m.unitPath(), Ours: ours}
	if _, err := os.Stat(m.wantsPath()); err != nil {
		return st, nil
	}
	var exec string
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "ExecStart="); ok {
			exec = v
		}
	}
	cmd, err := parseUnitExec(exec)
	if err != nil {
		return State{}, fmt.Errorf("the unit %s has an ExecStart line hopd cannot read (%v): run `hopd autostart enable --systemd` to rewrite it", m.unitPath(), err)
	}
	st.Enabled, st.Command = true, cmd
	return st, nil
}

// systemdReload tells a running systemd --user about the changed unit. It
// returns a note for the user when that fails; the unit still takes effect
// at the next login.
func (m *Manager) systemdReload(ctx context.Context) string {
	if _, err := m.lookPath("systemctl"); err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := m.run(ctx, "systemctl", "--user", "daemon-reload"); err != nil {
		return "systemd --user did not reload its units (" + err.Error() + "); the unit takes effect at the next login"
	}
	return ""
}
