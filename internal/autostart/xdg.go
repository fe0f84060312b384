package autostart

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// desktopName is the entry's file name; a user's file of that name in
// ~/.config/autostart overrides a package's in /etc/xdg/autostart.
const desktopName = "hopd.desktop"

func (m *Manager) desktopPath() string {
	return filepath.Join(m.configHome, "autostart", desktopName)
}

// systemDesktop is the first system-wide entry a package installed, or "".
func (m *Manager) systemDesktop() string {
	for _, d := range m.configDirs {
		p := filepath.Join(d, "autostart", desktopName)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// renderDesktop is a desktop entry (freedesktop.org Desktop Entry and
// Autostart specs) that runs cmd at login, or with hidden set, one that
// hides a system-wide entry of the same name.
func renderDesktop(cmd []string, hidden bool) []byte {
	var b bytes.Buffer
	b.WriteString("# " + marker + "\n")
	b.WriteString("[Desktop Entry]\n")
	b.WriteString("Type=Application\n")
	b.WriteString("Name=hopd\n")
	b.WriteString("GenericName=AWS credentials\n")
	b.WriteString("Comment=Serves fresh AWS credentials for every account on loopback\n")
	b.WriteString("Exec=" + desktopExec(cmd) + "\n")
	b.WriteString("Icon=hopd\n")
	b.WriteString("Terminal=false\n")
	if hidden {
		b.WriteString("Hidden=true\n")
	} else {
		b.WriteString("X-GNOME-Autostart-enabled=true\n")
	}
	return b.Bytes()
}

// desktopReserved are the characters that make an Exec argument need
// quotes (Desktop Entry spec, "The Exec key").
const desktopReserved = " \t\n\"'\\><~|&;$*?#()`"

// desktopExec renders an Exec value. Arguments are quoted by the Exec
// rules; the result is then escaped as a string value, since readers undo
// that first: a backslash in a quoted argument ends up doubled twice.
func desktopExec(cmd []string) string {
	parts := make([]string, len(cmd))
	for i, a := range cmd {
		a = strings.ReplaceAll(a, "%", "%%")
		if a != "" && !strings.ContainsAny(a, desktopReserved) {
			parts[i] = a
			continue
		}
		var q strings.Builder
		q.WriteByte('"')
		for i := 0; i < len(a); i++ {
			if c := a[i]; c == '"' || c == '`' || c == '$' || c == '\\' {
				q.WriteByte('\\')
			}
			q.WriteByte(a[i])
		}
		q.WriteByte('"')
		parts[i] = q.String()
	}
	return strings.ReplaceAll(strings.Join(parts, " "), `\`, `\\`)
}

// parseDesktopExec undoes desktopExec, and reads any valid Exec value:
// string escapes first, then quotes; field codes such as %f are dropped.
func parseDesktopExec(v string) ([]string, error) {
	v = unescapeDesktop(v)
	var w words
	quoted := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quoted && c == '\\' && i+1 < len(v):
			i++
			w.add(v[i])
		case c == '"':
			quoted, w.started = !quoted, true
		case !quoted && (c == ' ' || c == '\t'):
			w.blank()
		case c == '%' && i+1 < len(v):
			i++
			if v[i] == '%' {
				w.add('%')
			}
		default:
			w.add(c)
		}
	}
	return w.command(quoted)
}

// unescapeDesktop undoes the escapes of a desktop entry's string values.
func unescapeDesktop(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 's':
			b.WriteByte(' ')
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// parseDesktop returns the keys of the [Desktop Entry] group, without
// localised variants.
func parseDesktop(data []byte) map[string]string {
	kv := map[string]string{}
	in := false
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			in = line == "[Desktop Entry]"
		case in:
			k, v, ok := strings.Cut(line, "=")
			if ok && !strings.Contains(k, "[") {
				kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
	}
	return kv
}

// desktopState reads the user's entry, or else a system-wide one.
func (m *Manager) desktopState() (State, error) {
	path := m.desktopPath()
	data, ours, err := readOurs(path)
	if err != nil {
		return State{}, err
	}
	system := false
	if data == nil {
		if path = m.systemDesktop(); path == "" {
			return State{Method: XDG}, nil
		}
		if data, err = os.ReadFile(path); err != nil {
			return State{}, fmt.Errorf("reading the autostart entry: %w", err)
		}
		system = true
	}
	st := State{Method: XDG, Path: path, Ours: ours, System: system}
	kv := parseDesktop(data)
	if kv["Hidden"] == "true" || kv["X-GNOME-Autostart-enabled"] == "false" {
		return st, nil
	}
	cmd, err := parseDesktopExec(kv["Exec"])
	if err != nil {
		return State{}, fmt.Errorf("the autostart entry %s has an Exec line hopd cannot read (%v): fix or remove it, then run `hopd autostart enable`", path, err)
	}
	st.Enabled, st.Command = true, cmd
	return st, nil
}

func (m *Manager) writeDesktop(cmd []string) error {
	return writeOurs(m.desktopPath(), renderDesktop(cmd, false))
}

// hideDesktop makes sure no XDG entry starts hopd for this user: it
// removes hopd's own entry, or where a package installed one for everybody,
// replaces it with a hidden one.
func (m *Manager) hideDesktop() error {
	if sys := m.systemDesktop(); sys != "" {
		cmd := []string{"hopd"}
		if data, err := os.ReadFile(sys); err == nil {
			if c, err := parseDesktopExec(parseDesktop(data)["Exec"]); err == nil {
				cmd = c
			}
		}
		return writeOurs(m.desktopPath(), renderDesktop(cmd, true))
	}
	// Directories stay: ~/.config/autostart is the desktop's, not hopd's.
	return removeOurs(m.desktopPath())
}
