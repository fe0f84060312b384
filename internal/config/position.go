package config

import (
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// go-toml's decoder reports where syntax and type errors are, but not where a
// decoded value came from. Validation happens after decoding, so this file
// walks the document once more with go-toml's parser and records where every
// key and value is, by key path.

// pos is a 1-based line and byte column.
type pos struct{ line, col int }

// segment is one step of a key path: a key, or the index of an element of an
// array (of tables).
type segment struct {
	key   string
	index int // -1 for a key
}

// entry is one key (or table header) of the document.
type entry struct {
	segs  []segment
	kind  unstable.Kind // of the value; Table for a [table] or [[table]] header
	key   pos           // where the key or header starts
	value pos           // where the value starts (the header for tables)
}

// document is where everything in one TOML file is.
type document struct {
	entries    []entry           // in file order
	at         map[string]int    // path -> index in entries
	first      map[string]pos    // path -> where it, or something in it, first appears
	strs       map[string]string // path -> value of string entries
	lineStarts []int
}

// maxDepth bounds the key paths recorded. hopd's deepest key is
// account[0].id, so a longer path is an error whatever follows, and the bound
// keeps pathological nesting from costing quadratic time.
const maxDepth = 6

// pathOf renders a key path like `account[3].id`. Keys that are not bare TOML
// keys are quoted, so that different paths never render the same.
func pathOf(segs []segment) string {
	var b strings.Builder
	for i, s := range segs {
		if s.index >= 0 {
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		if isBareKey(s.key) {
			b.WriteString(s.key)
		} else {
			b.WriteString(strconv.Quote(s.key))
		}
	}
	return b.String()
}

func isBareKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// scan indexes data. A syntax error comes back as a *Error without File.
func scan(data []byte) (*document, *Error) {
	d := &document{
		at:         map[string]int{},
		first:      map[string]pos{},
		strs:       map[string]string{},
		lineStarts: []int{0},
	}
	for i, c := range data {
		if c == '\n' {
			d.lineStarts = append(d.lineStarts, i+1)
		}
	}

	var p unstable.Parser
	p.Reset(data)
	arrays := map[string]int{} // path of an array of tables -> its length so far
	var table []segment        // the current [table] or [[table]] element
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			keys := e.Key()
			var segs []segment
			var start int
			for n := 0; len(segs) < maxDepth && keys.Next(); n++ {
				k := keys.Node()
				if n == 0 {
					start = headerStart(data, int(k.Raw.Offset))
				}
				segs = append(segs, segment{key: string(k.Data), index: -1})
				path := pathOf(segs)
				count, isArray := arrays[path]
				switch {
				case e.Kind == unstable.ArrayTable && keys.IsLast():
					arrays[path] = count + 1
					segs = append(segs, segment{index: count})
				case isArray && count > 0:
					// [a.b] after [[a]] continues the last element of a.
					segs = append(segs, segment{index: count - 1})
				}
			}
			at := d.pos(start)
			d.add(entry{segs: segs, kind: unstable.Table, key: at, value: at}, "")
			table = segs
		case unstable.KeyValue:
			d.keyValue(data, table, e)
		}
	}
	if err := p.Error(); err != nil {
		return nil, d.syntaxError(data, err)
	}
	return d, nil
}

// keyValue records a key = value expression (also one inside an inline
// table) and, for inline tables and arrays, what is inside.
func (d *document) keyValue(data []byte, table []segment, e *unstable.Node) {
	segs := append([]segment(nil), table...)
	keys := e.Key()
	keyStart, keyEnd := -1, 0
	for len(segs) < maxDepth && keys.Next() {
		k := keys.Node()
		if keyStart < 0 {
			keyStart = int(k.Raw.Offset)
		}
		keyEnd = int(k.Raw.Offset + k.Raw.Length)
		segs = append(segs, segment{key: string(k.Data), index: -1})
	}
	if keyStart < 0 {
		return
	}
	d.value(data, segs, e.Value(), d.pos(keyStart), d.pos(valueStart(data, keyEnd)))
}

// value records one value at path segs, found at pos at.
func (d *document) value(data []byte, segs []segment, v *unstable.Node, key, at pos) {
	if !v.Valid() {
		return
	}
	str := ""
	if v.Kind == unstable.String {
		str = string(v.Data)
	}
	d.add(entry{segs: segs, kind: v.Kind, key: key, value: at}, str)
	if len(segs) >= maxDepth {
		return
	}
	switch v.Kind {
	case unstable.InlineTable:
		children := v.Children()
		for children.Next() {
			if kv := children.Node(); kv.Kind == unstable.KeyValue {
				d.keyValue(data, segs, kv)
			}
		}
	case unstable.Array:
		children := v.Children()
		for i := 0; children.Next(); {
			c := children.Node()
			if c.Kind == unstable.Comment {
				continue
			}
			where := at
			if c.Raw.Length > 0 {
				where = d.pos(int(c.Raw.Offset))
			}
			elem := append(append([]segment(nil), segs...), segment{index: i})
			d.value(data, elem, c, where, where)
			i++
		}
	}
}

func (d *document) add(e entry, str string) {
	path := pathOf(e.segs)
	if _, dup := d.at[path]; !dup {
		// The decoder reports duplicate keys; keep the first for positions.
		d.at[path] = len(d.entries)
		if e.kind == unstable.String {
			d.strs[path] = str
		}
	}
	d.entries = append(d.entries, e)
	// When a path is known, so are all the shorter ones.
	for n := len(e.segs); n > 0; n-- {
		p := pathOf(e.segs[:n])
		if _, ok := d.first[p]; ok {
			break
		}
		d.first[p] = e.key
	}
}

// where is the position of the value at path, or of the innermost table
// that contains it, or the start of the file.
func (d *document) where(path string) pos {
	if i, ok := d.at[path]; ok {
		return d.entries[i].value
	}
	if p, ok := d.first[path]; ok {
		return p
	}
	return pos{1, 1}
}

// has says whether the file sets the value at path.
func (d *document) has(path string) bool {
	_, ok := d.at[path]
	return ok
}

// pos converts a byte offset into a line and column.
func (d *document) pos(offset int) pos {
	line := sort.Search(len(d.lineStarts), func(i int) bool { return d.lineStarts[i] > offset })
	if line == 0 {
		return pos{1, 1}
	}
	return pos{line, offset - d.lineStarts[line-1] + 1}
}

// headerStart goes back from the first key of a table header to its '['.
func headerStart(data []byte, offset int) int {
	for offset > 0 && offset <= len(data) {
		c := data[offset-1]
		if c != '[' && c != ' ' && c != '\t' {
			break
		}
		offset--
	}
	return offset
}

// valueStart goes forward from the end of a key over " = " to its value.
func valueStart(data []byte, offset int) int {
	seenEquals := false
	for offset < len(data) {
		c := data[offset]
		switch {
		case c == ' ' || c == '\t':
		case c == '=' && !seenEquals:
			seenEquals = true
		default:
			return offset
		}
		offset++
	}
	return offset
}

func (d *document) syntaxError(data []byte, err error) *Error {
	msg := err.Error()
	offset := len(data)
	var perr *unstable.ParserError
	if errors.As(err, &perr) {
		msg = perr.Message
		// The highlight is a slice of data: its distance from the end of the
		// backing array tells where it starts.
		if perr.Highlight != nil {
			if o := cap(data) - cap(perr.Highlight); o >= 0 && o <= len(data) {
				offset = o
			}
		}
	}
	at := d.pos(offset)
	return &Error{Line: at.line, Column: at.col, Msg: "TOML syntax error: " + msg}
}
