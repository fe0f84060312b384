package autostart

import (
	"errors"
	"strings"
)

// words collects the arguments that a command-line parser finds. The three
// formats hopd reads back (systemd's ExecStart, a desktop entry's Exec, a
// Windows Run value) quote and escape differently, but split the same way:
// unquoted blanks end an argument, and a quoted empty string is one.
type words struct {
	args    []string
	cur     strings.Builder
	started bool // cur holds an argument, perhaps an empty quoted one
}

func (w *words) add(c byte) { w.cur.WriteByte(c); w.started = true }

func (w *words) addString(s string) { w.cur.WriteString(s); w.started = true }

// blank ends the argument in progress, if any.
func (w *words) blank() {
	if w.started {
		w.args = append(w.args, w.cur.String())
		w.cur.Reset()
		w.started = false
	}
}

// command ends the split of a value that must hold a program.
func (w *words) command(quoted bool) ([]string, error) {
	if quoted {
		return nil, errors.New("an unterminated quote")
	}
	w.blank()
	if len(w.args) == 0 {
		return nil, errors.New("no program")
	}
	return w.args, nil
}
