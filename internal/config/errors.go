package config

import (
	"strconv"
	"strings"
)

// Error is a problem with a configuration file. Every error Parse, Load and
// the Watcher report is one, so callers can show it on one line (log, tray,
// status) and editors can jump to it.
type Error struct {
	File   string // the file name given to Parse, or the path given to Load
	Line   int    // 1-based; 0 when the problem is the file as a whole
	Column int    // 1-based byte column; 0 when Line is 0
	Field  string // what is wrong, like `account "production" id`; may be ""
	Msg    string // what to do about it

	cause error // what went wrong underneath, like fs.ErrNotExist
}

// Unwrap gives the underlying error, if any, for errors.Is.
func (e *Error) Unwrap() error { return e.cause }

// Error formats the error as FILE:LINE:COL: FIELD: MESSAGE, leaving out the
// parts that are unknown. It is always a single line: values from the file
// that end up in messages could otherwise break log lines apart.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(oneLine(e.File))
	}
	if e.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Column))
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(oneLine(e.Field))
		b.WriteString(": ")
	}
	b.WriteString(oneLine(e.Msg))
	return b.String()
}

// oneLine replaces line breaks and other control characters with spaces.
func oneLine(s string) string {
	if strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
}

func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' || r == 0x85
}
