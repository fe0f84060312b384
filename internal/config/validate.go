package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Read-only patterns for the values hopd passes on to AWS or to the shell.
// They are compiled at first use: every hopd process links this package,
// and `hopd creds` (run before every AWS call of a credential_process
// profile) checks none of them; {9,256} alone is thousands of allocations.
var (
	accountIDRE = lazyRE(`^[0-9]{12}$`)
	roleRE      = lazyRE(`^[\w+=,.@-]+(/[\w+=,.@-]+)*$`)
	mfaSerialRE = lazyRE(`^[\w+=/:,.@-]{9,256}$`) // STS's SerialNumber
)

func lazyRE(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// STS's limits for GetSessionToken with an IAM user's keys.
const (
	minSessionDuration = 15 * time.Minute
	maxSessionDuration = 36 * time.Hour
)

const defaultRegion = "us-east-1"

// validator collects every problem so that Parse can report the first one in
// the file, whichever check found it.
type validator struct {
	d    *document
	errs []*Error
	// allowUnknownRegion: the file says allow_unknown_region = true, for
	// regions newer than this build.
	allowUnknownRegion bool
}

func (v *validator) fail(path, field, format string, args ...any) {
	at := v.d.where(path)
	v.errs = append(v.errs, &Error{Line: at.line, Column: at.col, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// element is one table of an array of tables ([[account]], [[sso]]), for
// the checks of its keys.
type element struct {
	v           *validator
	base, label string // like `account[2]` and `account "production"`
}

func (v *validator) element(group string, i int) element {
	return element{v, group + "[" + strconv.Itoa(i) + "]", v.d.label(group, i)}
}

func (e element) has(key string) bool { return e.v.d.has(e.base + "." + key) }

// fail reports a problem with key, at the key when the table has it and
// at the table when it is missing.
func (e element) fail(key, format string, args ...any) {
	path := e.base
	if e.has(key) {
		path += "." + key
	}
	e.v.fail(path, e.label+" "+key, format, args...)
}

// name checks the table's name, which follows the account-name rule and is
// unique among the tables of its group; seen maps the names so far to
// where they are. what and like are for messages: "the account",
// "production".
func (e element) name(name string, seen map[string]string, what, like string) {
	switch {
	case !e.has("name"):
		e.fail("name", `missing; add name = "..." with a short lower-case name for %s, like %q`, what, like)
	case !ValidAccountName(name):
		e.fail("name", "%q is not a valid name; use up to 64 lower-case letters, digits, _ and -, starting with a letter or digit", name)
	default:
		if prev, dup := seen[name]; dup {
			e.fail("name", "%s on line %d has the same name; give each a different name", what, e.v.d.where(prev).line)
		} else {
			seen[name] = e.base + ".name"
		}
	}
}

// first is the problem that comes first in the file.
func (v *validator) first() *Error {
	if len(v.errs) == 0 {
		return nil
	}
	sort.SliceStable(v.errs, func(i, j int) bool {
		a, b := v.errs[i], v.errs[j]
		return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
	})
	return v.errs[0]
}

// validate checks the decoded file and fills in the defaults.
func validate(d *document, r *raw) (*Config, *Error) {
	v := &validator{d: d, allowUnknownRegion: r.allowUnknownRegion}
	c := &Config{Listen: DefaultListen, SigninURL: r.signinURL}
	listenPort := 9911
	if d.has("listen") {
		c.Listen = r.listen
		listenPort = v.listen(r.listen)
	}
	if d.has("signin_url") {
		v.signinURL(r.signinURL)
	}
	c.Users = v.users(r)
	c.SSO = v.ssos(r)
	c.Accounts = v.accounts(r, c.Users, listenPort)
	v.consoleNames(r, c)
	c.Discover = v.discover(r.discover, c.Users)
	c.Console = v.console(r.console)
	if err := v.first(); err != nil {
		return nil, err
	}
	return c, nil
}

// listen checks the listen address and returns its port (0 if invalid).
func (v *validator) listen(s string) int {
	const like = `write it like "127.0.0.1:9911"`
	host, portStr, err := net.SplitHostPort(s)
	if err != nil {
		bare := strings.Trim(s, "[]")
		if net.ParseIP(bare) != nil || strings.EqualFold(bare, "localhost") || !strings.Contains(s, ":") {
			v.fail("listen", "listen", "%q has no port; %s", s, like)
		} else {
			v.fail("listen", "listen", "%q is not a host:port address; %s", s, like)
		}
		return 0
	}
	ip := net.ParseIP(host)
	if !strings.EqualFold(host, "localhost") && (ip == nil || !ip.IsLoopback()) {
		v.fail("listen", "listen", "%q is not a loopback address; hopd listens only on loopback (127.0.0.1, ::1 or localhost) so that other machines can't get credentials from it", s)
		return 0
	}
	port, err := strconv.Atoi(portStr)
	if portStr == "" {
		v.fail("listen", "listen", "%q has no port; %s", s, like)
		return 0
	}
	if err != nil || port < 1 || port > 65535 {
		v.fail("listen", "listen", "port %q must be a number from 1 to 65535; %s", portStr, like)
		return 0
	}
	return port
}

func (v *validator) signinURL(s string) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.fail("signin_url", "signin_url", "%q is not an http(s) URL; write it like \"https://signin.aws.amazon.com/federation\", or remove it to use the default", s)
		return
	}
	// Sign-in tokens travel to this URL; in clear text only to a stand-in
	// on this machine.
	if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
		v.fail("signin_url", "signin_url", "%q sends sign-in tokens in clear text; use https://, or http:// only for a loopback host like 127.0.0.1", s)
	}
}

func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (v *validator) users(r *raw) []User {
	if len(r.users) == 0 {
		if len(r.sso) == 0 {
			v.fail("user", "user", `missing; add a [user] table naming the IAM user whose keys are in the keychain, like: [user] name = "michael", or an [[sso]] block to sign in with IAM Identity Center`)
		}
		return nil
	}
	users := make([]User, 0, len(r.users))
	seen := map[string]string{} // lower-cased name -> path of the first
	for i, fu := range r.users {
		base, label := "user", "user"
		if !r.oneUser {
			base, label = "user["+strconv.Itoa(i)+"]", v.d.label("user", i)
		}
		u := User{Name: fu.Name, Profile: fu.Profile, MFASerial: fu.MFASerial, MFAProcess: fu.MFAProcess,
			Region: defaultRegion, SessionDuration: DefaultSessionDuration, Console: fu.Console}
		switch {
		case !v.d.has(base + ".name"):
			v.fail(base, label+" name", `missing; add name = "..." with the IAM user's name, which is also the name of its keychain item`)
		case !ValidUserName(fu.Name):
			v.fail(base+".name", label+" name", "%q is not an IAM user name; use up to 64 letters, digits and +=,.@_-", fu.Name)
		default:
			// IAM user names are unique regardless of case.
			if prev, dup := seen[strings.ToLower(fu.Name)]; dup {
				v.fail(base+".name", label+" name", "the user on line %d has the same name; give each [[user]] a different name", v.d.where(prev).line)
			} else {
				seen[strings.ToLower(fu.Name)] = base + ".name"
			}
		}
		if v.d.has(base + ".profile") {
			v.profile(base, label, fu.Profile)
		}
		if v.d.has(base+".mfa_serial") && !mfaSerialRE().MatchString(fu.MFASerial) {
			v.fail(base+".mfa_serial", label+" mfa_serial", "%q is not an MFA device; use its ARN, like \"arn:aws:iam::111111111111:mfa/michael\"", fu.MFASerial)
		}
		if v.d.has(base+".mfa_process") && strings.TrimSpace(fu.MFAProcess) == "" {
			v.fail(base+".mfa_process", label+" mfa_process", "is empty; give a command that prints an MFA code, or remove it")
		}
		if v.d.has(base + ".region") {
			u.Region = fu.Region
			v.region(base+".region", label+" region", fu.Region)
		}
		if v.d.has(base + ".session_duration") {
			u.SessionDuration = v.duration(base+".session_duration", label+" session_duration", fu.SessionDuration)
		}
		users = append(users, u)
	}
	return users
}

// profile checks a user's profile and the keys it leaves no room for.
func (v *validator) profile(base, label, name string) {
	switch {
	case name == "" || strings.TrimSpace(name) != name:
		v.fail(base+".profile", label+" profile", "%q is not a profile name: it is empty or starts or ends with a space; give the name of a profile in ~/.aws/config, like \"michael-login\"", name)
	case len(name) > 256 || strings.IndexFunc(name, isControl) >= 0:
		v.fail(base+".profile", label+" profile", "is not a profile name: use up to 256 characters without control characters, like \"michael-login\"")
	}
	// The profile's own chain (its mfa_serial, SSO sign-in, credential
	// process) decides how it signs in and for how long; hopd's settings
	// for that would be silently ignored.
	for _, k := range []string{"mfa_serial", "mfa_process", "session_duration"} {
		if v.d.has(base + "." + k) {
			v.fail(base+"."+k, label+" "+k, "cannot be used with profile: the profile's own settings decide how it signs in (mfa_serial and duration_seconds go in the profile), so remove %s here", k)
		}
	}
}

func (v *validator) region(path, field, s string) {
	switch {
	case !ValidRegion(s):
		v.fail(path, field, "%q is not an AWS region; use one like \"eu-west-1\"", s)
	case !KnownRegion(s) && !v.allowUnknownRegion:
		v.fail(path, field, "%s", unknownRegion(s))
	}
}

func (v *validator) duration(path, field, s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		v.fail(path, field, "%q is not a duration; write it like \"12h\" or \"90m\"", s)
		return 0
	}
	if d < minSessionDuration || d > maxSessionDuration {
		v.fail(path, field, "%s is out of range; AWS allows from 15m to 36h", s)
		return 0
	}
	return d
}

func userNames(users []User) string {
	names := make([]string, len(users))
	for i, u := range users {
		names[i] = strconv.Quote(u.Name)
	}
	return strings.Join(names, ", ")
}

// consoleNames makes sure that the name `hopd console` and the tray use for
// a user's own account (the user's name) names no account as well.
func (v *validator) consoleNames(r *raw, c *Config) {
	for i, u := range c.Users {
		if !u.Console {
			continue
		}
		if _, clash := c.Account(u.Name); clash {
			base, label := "user", "user"
			if !r.oneUser {
				base, label = "user["+strconv.Itoa(i)+"]", v.d.label("user", i)
			}
			v.fail(base+".console", label+" console", "an account is also named %q, and `hopd console %s` would not know which to open; rename the account", u.Name, u.Name)
		}
	}
}
