package autostart

import (
	"errors"
	"fmt"
	"strings"
)

// runValue is the name of hopd's value under the Run key.
const runValue = "hopd"

// runKeyPath is the Run key of the current user, for messages.
const runKeyPath = `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`

// errNoRegistry is what a Manager without a Run key (not on Windows) says.
var errNoRegistry = errors.New("the Windows registry is not available on this system")

// windowsCommandLine joins args the way CommandLineToArgvW splits them.
func windowsCommandLine(args []string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = windowsQuote(a)
	}
	return strings.Join(parts, " ")
}

func windowsQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			slashes++
		case '"':
			// Backslashes before a quote are doubled (those written so
			// far get as many again), and the quote escaped.
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(s[i])
	}
	// Backslashes before the closing quote are doubled.
	b.WriteString(strings.Repeat(`\`, slashes))
	b.WriteByte('"')
	return b.String()
}

// parseWindowsCommandLine splits a command line as CommandLineToArgvW
// does: the program name ends at the next quote or space with no escapes;
// the arguments follow the backslash-and-quote rules.
func parseWindowsCommandLine(s string) []string {
	s = strings.TrimLeft(s, " \t")
	var prog string
	if strings.HasPrefix(s, `"`) {
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return []string{s[1:]}
		}
		prog, s = s[1:1+end], s[2+end:]
	} else {
		end := strings.IndexAny(s, " \t")
		if end < 0 {
			end = len(s)
		}
		prog, s = s[:end], s[end:]
	}
	w := words{args: []string{prog}}
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			n := 0
			for i < len(s) && s[i] == '\\' {
				n++
				i++
			}
			if i < len(s) && s[i] == '"' {
				w.addString(strings.Repeat(`\`, n/2))
				if n%2 == 1 {
					w.add('"')
				} else {
					quoted = !quoted
				}
			} else {
				w.addString(strings.Repeat(`\`, n))
				i--
			}
		case c == '"':
			quoted, w.started = !quoted, true
		case !quoted && (c == ' ' || c == '\t'):
			w.blank()
		default:
			w.add(c)
		}
	}
	w.blank()
	return w.args
}

// ours says whether a Run value is one hopd wrote: hopd's value always
// starts hopd with serve --autostart.
func runValueOurs(v string) bool {
	return strings.Contains(v, " "+strings.Join(serveArgs, " "))
}

func (m *Manager) setRunValue(cmd []string) error {
	if m.reg == nil {
		return errNoRegistry
	}
	old, ok, err := m.reg.Get(runValue)
	if err != nil {
		return fmt.Errorf("reading %s\\%s: %w", runKeyPath, runValue, err)
	}
	if ok && !runValueOurs(old) {
		return fmt.Errorf("%s\\%s exists and was not written by hopd: delete it with regedit, then run `hopd autostart enable` again", runKeyPath, runValue)
	}
	if err := m.reg.Set(runValue, windowsCommandLine(cmd)); err != nil {
		return fmt.Errorf("writing %s\\%s: %w", runKeyPath, runValue, err)
	}
	return nil
}

func (m *Manager) deleteRunValue() error {
	if m.reg == nil {
		return errNoRegistry
	}
	old, ok, err := m.reg.Get(runValue)
	if err != nil || !ok {
		return err
	}
	if !runValueOurs(old) {
		return fmt.Errorf("%s\\%s was not written by hopd, so hopd leaves it: delete it with regedit if hopd should not start at login", runKeyPath, runValue)
	}
	if err := m.reg.Delete(runValue); err != nil {
		return fmt.Errorf("deleting %s\\%s: %w", runKeyPath, runValue, err)
	}
	return nil
}

func (m *Manager) runValueState() (State, error) {
	if m.reg == nil {
		return State{}, errNoRegistry
	}
	v, ok, err := m.reg.Get(runValue)
	if err != nil {
		return State{}, fmt.Errorf("reading %s\\%s: %w", runKeyPath, runValue, err)
	}
	if !ok {
		return State{Method: RunKey}, nil
	}
	return State{
		Enabled: true, Method: RunKey, Path: runKeyPath + `\` + runValue,
		Command: parseWindowsCommandLine(v), Ours: runValueOurs(v),
	}, nil
}
