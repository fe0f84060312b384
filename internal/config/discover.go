package config

import (
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2/unstable"
)

// DefaultDiscoverRefresh is how often the organization's accounts are
// listed again: accounts come and go over days, not minutes.
const DefaultDiscoverRefresh = 6 * time.Hour

// The bounds of refresh: often enough to be useful, rarely enough that an
// organization with hundreds of accounts is not throttled.
const (
	minDiscoverRefresh = time.Minute
	maxDiscoverRefresh = 7 * 24 * time.Hour
)

// Discover is the [discover] table: accounts that hopd offers without an
// [[account]] entry each, listed from AWS Organizations with the user's
// session. The zero value (no [discover] table) discovers nothing.
type Discover struct {
	Organizations bool          // organizations: list the organization's ACTIVE accounts
	Role          string        // role assumed in discovered accounts, default DefaultRole
	OUs           []string      // ous: only accounts under these OUs, by id ("ou-...", "r-...") or name path ("Workloads/Prod")
	NamePattern   string        // name_pattern: only accounts whose AWS name matches this glob (* and ?), any case
	Exclude       []string      // exclude: account ids or names to leave out
	Refresh       time.Duration // refresh: how often to list again, default DefaultDiscoverRefresh
	User          string        // user: whose session lists the accounts, default the only user
}

type fileDiscover struct {
	Organizations bool     `toml:"organizations"`
	Role          string   `toml:"role"`
	OUs           []string `toml:"ous"`
	NamePattern   string   `toml:"name_pattern"`
	Exclude       []string `toml:"exclude"`
	Refresh       string   `toml:"refresh"`
	User          string   `toml:"user"`
}

var discoverKeys = []key{
	{"organizations", unstable.Bool, `true`},
	{"role", unstable.String, `"` + DefaultRole + `"`},
	{"ous", unstable.Array, `["ou-ab12-cdef3456", "Workloads/Production"]`},
	{"name_pattern", unstable.String, `"prod-*"`},
	{"exclude", unstable.Array, `["111111111111", "Audit"]`},
	{"refresh", unstable.String, `"6h"`},
	{"user", unstable.String, `"michael"`},
}

// ouIDRE matches the ids AWS gives organizational units and roots.
var ouIDRE = lazyRE(`^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$`)

// IsOUID reports whether s is an OU or root id rather than an OU name path.
func IsOUID(s string) bool { return ouIDRE().MatchString(s) }

// IsAccountID reports whether s is a 12-digit AWS account id.
func IsAccountID(s string) bool { return accountIDRE().MatchString(s) }

// checkDiscover checks an entry under [discover] before decoding.
func (d *document) checkDiscover(e entry) *Error {
	return checkSection(e, "discover", discoverKeys, "organizations = true")
}

// checkSection checks an entry under a table written once, like [discover]
// or [console]; like is a key = value for messages.
func checkSection(e entry, section string, keys []key, like string) *Error {
	rest := e.segs[1:]
	if len(rest) == 0 {
		if e.kind == unstable.Table || e.kind == unstable.InlineTable {
			return nil
		}
		return errAt(e.value, section, "must be a table: write ["+section+"] on its own line, then its keys, like "+like)
	}
	if rest[0].index >= 0 {
		return errAt(e.key, section, "write ["+section+"] with single brackets, once")
	}
	field := section + " " + pathOf(rest[:1])
	k, ok := findKey(keys, rest[0].key)
	if !ok {
		return errAt(e.key, field, "unknown key; remove it or fix its spelling ("+section+" keys are "+keyNames(keys)+")")
	}
	if k.kind == unstable.Array {
		return checkList(e, rest, field, k)
	}
	if len(rest) > 1 {
		return errAt(e.key, field, "is a single value like "+k.name+" = "+k.example+", not a table")
	}
	return typeCheck(e, k, field)
}

// discover checks the [discover] table and fills in its defaults. Without
// the table it returns the zero Discover.
func (v *validator) discover(fd *fileDiscover, users []User) Discover {
	if fd == nil {
		return Discover{}
	}
	has := func(key string) bool { return v.d.has("discover." + key) }
	fail := func(key, format string, args ...any) {
		path := "discover"
		if has(key) {
			path += "." + key
		}
		v.fail(path, "discover "+key, format, args...)
	}
	ds := Discover{Organizations: fd.Organizations, Role: DefaultRole, NamePattern: fd.NamePattern, Refresh: DefaultDiscoverRefresh}

	if has("role") {
		ds.Role = fd.Role
		if !roleRE().MatchString(fd.Role) || len(fd.Role[strings.LastIndexByte(fd.Role, '/')+1:]) > 64 {
			fail("role", "%q is not an IAM role name; use up to 64 letters, digits and +=,.@_- (after an optional path/)", fd.Role)
		}
	}
	for i, ou := range fd.OUs {
		path := "discover.ous[" + strconv.Itoa(i) + "]"
		if bad := ouProblem(ou); bad != "" {
			v.fail(path, "discover ous", "%q %s; give an OU id like \"ou-ab12-cdef3456\" or an OU name path like \"Workloads/Production\"", ou, bad)
			continue
		}
		ds.OUs = append(ds.OUs, ou)
	}
	if has("name_pattern") && (strings.TrimSpace(fd.NamePattern) == "" || len(fd.NamePattern) > 256) {
		fail("name_pattern", `must be a pattern of up to 256 characters like "prod-*" (* matches anything, ? one character), or be removed`)
	}
	for i, x := range fd.Exclude {
		if strings.TrimSpace(x) == "" || len(x) > 256 {
			v.fail("discover.exclude["+strconv.Itoa(i)+"]", "discover exclude", `%q is not an account; give a 12-digit account id like "111111111111" or an account name`, x)
			continue
		}
		ds.Exclude = append(ds.Exclude, x)
	}
	if has("refresh") {
		ds.Refresh = v.refresh(fd.Refresh)
	}
	ds.User = v.discoverUser(fd, users, ds.Organizations)
	return ds
}

// ouProblem says what is wrong with an ous entry, or "" if nothing.
func ouProblem(ou string) string {
	if IsOUID(ou) {
		return ""
	}
	if strings.HasPrefix(ou, "ou-") {
		return "looks like an OU id but is not one"
	}
	for _, part := range strings.Split(ou, "/") {
		if strings.TrimSpace(part) == "" {
			return "has an empty part"
		}
		if len(part) > 128 || strings.IndexFunc(part, isControl) >= 0 {
			return "is not an OU name (up to 128 printable characters per part)"
		}
	}
	return ""
}

func (v *validator) refresh(s string) time.Duration {
	const path, field = "discover.refresh", "discover refresh"
	d, err := time.ParseDuration(s)
	if err != nil {
		v.fail(path, field, "%q is not a duration; write it like \"6h\" or \"30m\"", s)
		return DefaultDiscoverRefresh
	}
	if d < minDiscoverRefresh || d > maxDiscoverRefresh {
		v.fail(path, field, "%s is out of range; use from 1m to 168h", s)
		return DefaultDiscoverRefresh
	}
	return d
}

// discoverUser picks whose session lists the accounts: the named user, or
// the only one.
func (v *validator) discoverUser(fd *fileDiscover, users []User, enabled bool) string {
	if v.d.has("discover.user") {
		for _, u := range users {
			if u.Name == fd.User {
				return u.Name
			}
		}
		if len(users) > 0 {
			v.fail("discover.user", "discover user", "there is no user named %q; use one of %s", fd.User, userNames(users))
		} else {
			v.fail("discover.user", "discover user", "there is no user named %q: the config has no [user]; AWS Organizations is listed with an IAM user's session, so add a [user] table", fd.User)
		}
		return fd.User
	}
	switch {
	case len(users) == 1:
		return users[0].Name
	case len(users) == 0 && enabled:
		v.fail("discover", "discover organizations", "needs a [user]: AWS Organizations is listed with an IAM user's session, and the config has only [[sso]] blocks; add a [user] table or remove organizations = true")
	case len(users) > 1 && enabled:
		v.fail("discover", "discover user", "missing; with several users, say whose session lists the organization's accounts: add user = one of %s", userNames(users))
	}
	return ""
}
