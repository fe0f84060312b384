package awsconfig

import (
	"bytes"
	"strings"
)

// Kinds of section in the shared config file.
const (
	KindProfile    = "profile" // [profile NAME], and [default]
	KindSSOSession = "sso-session"
	KindServices   = "services"
	KindOther      = "other" // anything else; the AWS CLI ignores it
)

// Section is one [section] of the shared config file, read the way the
// AWS CLI reads it.
type Section struct {
	Kind   string
	Name   string            // the profile, sso-session or services name
	Header string            // as written between the brackets, trimmed
	Line   int               // 1-based line of the header
	InHopd bool              // inside hopd's block
	Keys   map[string]string // lower-case key -> value; nested settings (an indented line under "s3 =") are left out
}

// Parse reads the sections of a shared config file. It never fails: lines
// it cannot read are skipped, as they do not matter for what hopd reads.
func Parse(data []byte) []Section { return parse(data) }

func parse(data []byte) []Section {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	lines := splitLines(data)
	b, _ := findBlock(lines)
	var out []Section
	var cur *Section
	keyIndent := -1 // indent of the section's last key; -1 before its first
	for i, l := range lines {
		raw := string(l.text)
		t := strings.TrimSpace(raw)
		indent := len(raw) - len(strings.TrimLeft(raw, " \t"))
		switch {
		case t == "" || t[0] == '#' || t[0] == ';':
			continue
		case keyIndent >= 0 && indent > keyIndent:
			continue // a nested setting or a continued value, as the CLI's parser reads it
		case t[0] == '[':
			keyIndent = -1
			end := strings.LastIndexByte(t, ']')
			if end < 0 {
				cur = nil
				continue
			}
			s := sectionOf(strings.TrimSpace(t[1:end]))
			s.Line = i + 1
			s.InHopd = b.found && i >= b.begin && i <= b.end
			out = append(out, s)
			cur = &out[len(out)-1]
		case cur != nil:
			k, v, ok := cutKey(t)
			if ok {
				cur.Keys[k] = v
				keyIndent = indent
			}
		}
	}
	return out
}

// sectionOf classifies a header the way botocore does.
func sectionOf(header string) Section {
	s := Section{Kind: KindOther, Header: header, Keys: map[string]string{}}
	if header == "default" {
		s.Kind, s.Name = KindProfile, "default"
		return s
	}
	f := strings.Fields(header)
	if len(f) >= 2 {
		name := strings.TrimSpace(header[len(f[0]):])
		switch f[0] {
		case "profile":
			s.Kind, s.Name = KindProfile, name
		case "sso-session":
			s.Kind, s.Name = KindSSOSession, name
		case "services":
			s.Kind, s.Name = KindServices, name
		}
	}
	return s
}

// cutKey splits "key = value" (or "key: value", which the AWS CLI's parser
// also takes). Keys are lower-cased as the CLI does.
func cutKey(t string) (key, value string, ok bool) {
	i := strings.IndexAny(t, "=:")
	if i <= 0 {
		return "", "", false
	}
	return strings.ToLower(strings.TrimSpace(t[:i])), strings.TrimSpace(t[i+1:]), true
}
