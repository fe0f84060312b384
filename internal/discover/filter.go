package discover

import (
	"regexp"
	"strings"

	"github.com/hopd/hopd/internal/config"
)

// filter is the part of [discover] that needs no AWS call: name_pattern and
// exclude.
type filter struct {
	pattern *regexp.Regexp // nil: every name
	ids     map[string]bool
	names   map[string]bool // lower-cased AWS names and hopd names
}

func newFilter(s config.Discover) filter {
	f := filter{ids: map[string]bool{}, names: map[string]bool{}}
	if s.NamePattern != "" {
		f.pattern = globRE(s.NamePattern)
	}
	for _, x := range s.Exclude {
		if config.IsAccountID(x) {
			f.ids[x] = true
		} else {
			f.names[strings.ToLower(strings.TrimSpace(x))] = true
		}
	}
	return f
}

// keep says whether an account passes the filter. Names match as AWS
// spells them or as hopd does, in any case.
func (f filter) keep(a Account) bool {
	if f.ids[a.ID] {
		return false
	}
	base := config.AccountNameFrom(a.AWSName, a.ID)
	if f.names[strings.ToLower(a.AWSName)] || f.names[base] || a.Name != "" && f.names[a.Name] {
		return false
	}
	if f.pattern != nil && !f.pattern.MatchString(a.AWSName) && !f.pattern.MatchString(base) {
		return false
	}
	return true
}

// globRE compiles a shell-style pattern, where * matches any run of
// characters and ? one, into a case-insensitive regular expression.
// Everything else is literal, so every pattern compiles.
func globRE(glob string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?is)^`)
	for _, r := range glob {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}
