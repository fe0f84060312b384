// Package awsconfig edits hopd's block of profiles in the AWS shared config file and reads the profiles there.
package awsconfig

import (
	"bytes"
	"fmt"
	"strings"
)

// The block hopd owns starts and ends with these comments. Everything
// between them is hopd's; everything outside is never changed.
const (
	BeginMarker = "# >>> hopd: profiles written by `hopd profiles write`; edits inside this block are overwritten"
	EndMarker   = "# <<< hopd"

	beginPrefix = "# >>> hopd"
	endPrefix   = "# <<< hopd"
)

// Profile is one profile in hopd's block.
type Profile struct {
	Name              string // the profile name, without "profile "
	CredentialProcess string // the command line that prints credentials
	Region            string // "" for none
}

// line is one line of a file, with its line ending.
type line struct {
	start int // byte offset in the file
	text  []byte
	eol   []byte // "\n", "\r\n", or nil for a last line without one
}

// splitLines cuts data into lines, keeping every byte: joining the text
// and eol of every line gives data back.
func splitLines(data []byte) []line {
	var out []line
	for start := 0; start < len(data); {
		i := bytes.IndexByte(data[start:], '\n')
		if i < 0 {
			out = append(out, line{start: start, text: data[start:]})
			break
		}
		end := start + i
		l := line{start: start, text: data[start:end], eol: data[end : end+1]}
		if end > start && data[end-1] == '\r' {
			l.text, l.eol = data[start:end-1], data[end-1:end+1]
		}
		out = append(out, l)
		start = end + 1
	}
	return out
}

// eolOf is the line ending a file uses, judged by its first line break;
// "\n" for a file without one.
func eolOf(data []byte) string {
	i := bytes.IndexByte(data, '\n')
	if i > 0 && data[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

// block is where hopd's block is in a file: lines [begin, end].
type block struct {
	found      bool
	begin, end int // line indexes
	from, to   int // byte offsets: the block is data[from:to]
}

// findBlock locates hopd's block. Half a block or two of them are errors
// a person must fix, since guessing could cut their own profiles.
func findBlock(lines []line) (block, error) {
	b := block{begin: -1, end: -1}
	for i, l := range lines {
		t := strings.TrimSpace(string(l.text))
		switch {
		case strings.HasPrefix(t, beginPrefix):
			if b.begin >= 0 {
				return b, fmt.Errorf("line %d starts a second hopd block (the first starts on line %d): remove one of them by hand, then run the command again", i+1, b.begin+1)
			}
			b.begin = i
		case strings.HasPrefix(t, endPrefix):
			if b.begin < 0 || b.end >= 0 {
				return b, fmt.Errorf("line %d ends a hopd block that was not started: remove that line by hand, then run the command again", i+1)
			}
			b.end = i
		}
	}
	switch {
	case b.begin < 0:
		return b, nil
	case b.end < 0:
		return b, fmt.Errorf("line %d starts a hopd block that never ends (no %q line): remove the block by hand, then run the command again", b.begin+1, EndMarker)
	}
	last := lines[b.end]
	b.found, b.from, b.to = true, lines[b.begin].start, last.start+len(last.text)+len(last.eol)
	return b, nil
}

// render writes the block with the file's line ending.
func render(profiles []Profile, eol string) []byte {
	var b strings.Builder
	w := func(s string) { b.WriteString(s + eol) }
	w(BeginMarker)
	for i, p := range profiles {
		if i > 0 {
			w("")
		}
		w("[profile " + p.Name + "]")
		w("credential_process = " + p.CredentialProcess)
		if p.Region != "" {
			w("region = " + p.Region)
		}
	}
	w(EndMarker)
	return []byte(b.String())
}

// SetBlock returns data with hopd's block holding profiles: replaced where
// it is, or appended after a blank line. Every byte outside the block is
// kept. A profile of the same name outside the block is an error, since the
// AWS CLI would merge the two.
func SetBlock(data []byte, profiles []Profile) ([]byte, error) {
	lines := splitLines(data)
	b, err := findBlock(lines)
	if err != nil {
		return nil, err
	}
	if err := checkConflicts(data, b, profiles); err != nil {
		return nil, err
	}
	eol := eolOf(data)
	if b.found {
		eol = string(lines[b.begin].eol) // keep the block as it was written
	}
	blk := render(profiles, eol)
	out := make([]byte, 0, len(data)+len(blk)+4)
	if b.found {
		out = append(out, data[:b.from]...)
		out = append(out, blk...)
		return append(out, data[b.to:]...), nil
	}
	out = append(out, data...)
	if len(data) > 0 {
		// After a complete last line this makes a blank line before the
		// block; after an unfinished one it ends that line. RemoveBlock
		// takes either back.
		out = append(out, eol...)
	}
	return append(out, blk...), nil
}

// RemoveBlock returns data without hopd's block and the blank line
// SetBlock put before it, and whether there was a block.
func RemoveBlock(data []byte) ([]byte, bool, error) {
	lines := splitLines(data)
	b, err := findBlock(lines)
	if err != nil || !b.found {
		return data, false, err
	}
	prefix, suffix := data[:b.from], data[b.to:]
	// The line ending SetBlock used is the block's own.
	eol := lines[b.begin].eol
	if eol == nil {
		eol = []byte("\n")
	}
	twice := append(append([]byte(nil), eol...), eol...)
	switch {
	case bytes.HasSuffix(prefix, twice):
		prefix = prefix[:len(prefix)-len(eol)]
	case len(suffix) == 0 && len(prefix) > len(eol) && bytes.HasSuffix(prefix, eol):
		// The file had no line break at its end; SetBlock added one.
		prefix = prefix[:len(prefix)-len(eol)]
	}
	out := make([]byte, 0, len(prefix)+len(suffix))
	out = append(out, prefix...)
	return append(out, suffix...), true, nil
}

// checkConflicts refuses profiles that already exist outside the block.
func checkConflicts(data []byte, b block, profiles []Profile) error {
	want := make(map[string]bool, len(profiles))
	for _, p := range profiles {
		want[p.Name] = true
	}
	for _, s := range parse(data) {
		if s.Kind == KindProfile && want[s.Name] && !(b.found && s.Line-1 >= b.begin && s.Line-1 <= b.end) {
			return fmt.Errorf("line %d already has [%s] outside hopd's block: rename or remove it, or choose another --prefix", s.Line, s.Header)
		}
	}
	return nil
}
