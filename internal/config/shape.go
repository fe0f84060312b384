package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// The checks here run before decoding into structs, on the document index,
// so that unknown keys and wrong types get messages that name the account
// and say what to write instead of go-toml's generic ones.

// key is one key the schema knows, with an example value for messages.
type key struct {
	name    string
	kind    unstable.Kind
	example string
}

var topKeys = []key{
	{"listen", unstable.String, `"127.0.0.1:9911"`},
	{"signin_url", unstable.String, `"https://signin.aws.amazon.com/federation"`},
	{"allow_unknown_region", unstable.Bool, `true`},
}

var userKeys = []key{
	{"name", unstable.String, `"michael"`},
	{"mfa_serial", unstable.String, `"arn:aws:iam::111111111111:mfa/michael"`},
	{"mfa_process", unstable.String, `"ykman oath accounts code -s aws"`},
	{"region", unstable.String, `"us-east-1"`},
	{"session_duration", unstable.String, `"12h"`},
	{"console", unstable.Bool, `true`},
	{"profile", unstable.String, `"michael-login"`},
}

var accountKeys = []key{
	{"name", unstable.String, `"production"`},
	{"id", unstable.String, `"222222222222"`},
	{"role", unstable.String, `"` + DefaultRole + `"`},
	{"color", unstable.String, `"#d13212"`},
	{"region", unstable.String, `"eu-west-1"`},
	{"user", unstable.String, `"michael"`},
	{"imds_port", unstable.Integer, `9921`},
	{"imdsv1", unstable.Bool, `false`},
	{"browser", unstable.String, `"firefox --new-tab {url}"`},
}

func findKey(keys []key, name string) (key, bool) {
	for _, k := range keys {
		if k.name == name {
			return k, true
		}
	}
	return key{}, false
}

func keyNames(keys []key) string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.name
	}
	return strings.Join(names, ", ")
}

// checkShape returns the first key in the document that hopd does not know
// or whose value has the wrong type.
func checkShape(d *document) *Error {
	for _, e := range d.entries {
		if err := d.checkEntry(e); err != nil {
			return err
		}
	}
	return nil
}

func (d *document) checkEntry(e entry) *Error {
	top := e.segs[0].key
	switch top {
	case "user":
		return d.checkGroup(e, "user", userKeys)
	case "account":
		return d.checkGroup(e, "account", accountKeys)
	case "sso":
		return d.checkGroup(e, "sso", ssoKeys)
	case "discover":
		return d.checkDiscover(e)
	case "console":
		return checkSection(e, "console", consoleKeys, `browser = "firefox-container"`)
	}
	k, ok := findKey(topKeys, top)
	if !ok {
		return errAt(e.key, pathOf(e.segs[:1]),
			"unknown key; remove it or fix its spelling (top-level keys are listen, signin_url, [user], [[account]], [[sso]], [discover] and [console])")
	}
	if len(e.segs) > 1 {
		return errAt(e.key, top, "is a single value like "+k.name+" = "+k.example+", not a table")
	}
	return typeCheck(e, k, top)
}

// doubleBracket is what to write for the groups that are only ever arrays
// of tables.
var doubleBracket = map[string]string{
	"account": "write [[account]] with double brackets, once before each account's keys",
	"sso":     "write [[sso]] with double brackets, once before each Identity Center's keys",
}

// checkGroup checks an entry under [user], [[user]], [[account]] or [[sso]].
func (d *document) checkGroup(e entry, group string, keys []key) *Error {
	rest := e.segs[1:]
	if len(rest) == 0 {
		switch {
		case e.kind == unstable.Array:
			return nil // its elements come as entries of their own
		case group == "user" && (e.kind == unstable.Table || e.kind == unstable.InlineTable):
			return nil
		case doubleBracket[group] != "":
			return errAt(e.value, group, doubleBracket[group])
		}
		return errAt(e.value, group, "must be a table: write [user] (or [[user]] for each of several users) on its own line, then its keys")
	}
	label := group
	if rest[0].index >= 0 {
		label = d.label(group, rest[0].index)
		rest = rest[1:]
		if len(rest) == 0 {
			if e.kind != unstable.Table && e.kind != unstable.InlineTable {
				return errAt(e.value, label, "must be a table like { name = \"...\" }")
			}
			return nil
		}
	} else if doubleBracket[group] != "" {
		return errAt(e.key, group, doubleBracket[group])
	}
	field := label + " " + pathOf(rest[:1])
	k, ok := findKey(keys, rest[0].key)
	if rest[0].index >= 0 || !ok {
		return errAt(e.key, field, "unknown key; remove it or fix its spelling ("+group+" keys are "+keyNames(keys)+")")
	}
	if k.kind == unstable.Array {
		return checkList(e, rest, field, k)
	}
	if len(rest) > 1 {
		return errAt(e.key, field, "is a single value like "+k.example+", not a table")
	}
	return typeCheck(e, k, field)
}

// checkList checks a list of strings, or one of its elements; rest starts
// at the list's key.
func checkList(e entry, rest []segment, field string, k key) *Error {
	like := "like " + k.name + " = " + k.example
	switch {
	case len(rest) == 1 && e.kind != unstable.Array:
		return errAt(e.value, field, "must be a list of strings in quotes, "+like)
	case len(rest) == 2 && rest[1].index >= 0 && e.kind != unstable.String:
		return errAt(e.value, field, "must hold only strings in quotes, "+like)
	case len(rest) > 2 || len(rest) == 2 && rest[1].index < 0:
		return errAt(e.key, field, "is a list of strings, "+like)
	}
	return nil
}

func typeCheck(e entry, k key, field string) *Error {
	if e.kind == k.kind {
		return nil
	}
	like := "like " + k.name + " = " + k.example
	switch k.kind {
	case unstable.Integer:
		return errAt(e.value, field, "must be a whole number without quotes, "+like)
	case unstable.Bool:
		return errAt(e.value, field, "must be true or false without quotes, "+like)
	}
	if k.name == "id" && e.kind == unstable.Integer {
		return errAt(e.value, field, "must be quoted so leading zeros are kept, "+like)
	}
	return errAt(e.value, field, "must be a string in quotes, "+like)
}

// label names the i-th user or account for messages: by its name when it has
// one, else by its number.
func (d *document) label(group string, i int) string {
	if name, ok := d.strs[group+"["+strconv.Itoa(i)+"].name"]; ok && name != "" && len(name) <= 64 {
		return fmt.Sprintf("%s %q", group, name)
	}
	return group + " #" + strconv.Itoa(i+1)
}

// field names the value at segs for messages, like `account "production" id`.
func (d *document) field(segs []segment) string {
	if len(segs) < 2 || (segs[0].key != "user" && segs[0].key != "account" && segs[0].key != "sso") {
		return pathOf(segs)
	}
	label, rest := segs[0].key, segs[1:]
	if rest[0].index >= 0 {
		label, rest = d.label(label, rest[0].index), rest[1:]
	}
	if len(rest) == 0 {
		return label
	}
	return label + " " + pathOf(rest)
}

// fieldAt names the key or value at line:col, or returns fallback.
func (d *document) fieldAt(line, col int, fallback string) string {
	at := pos{line, col}
	for _, e := range d.entries {
		if e.key == at || e.value == at {
			return d.field(e.segs)
		}
	}
	return fallback
}

func errAt(at pos, field, msg string) *Error {
	return &Error{Line: at.line, Column: at.col, Field: field, Msg: msg}
}
