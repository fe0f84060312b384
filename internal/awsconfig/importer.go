package awsconfig

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/hopd/hopd/internal/config"
)

// Proposal is the hopd config equivalent to the role and SSO profiles of a
// shared config file.
type Proposal struct {
	Source   string // the file it was read from, for the header comment
	Users    []ProposedUser
	SSO      []ProposedSSO
	Accounts []ProposedAccount
	Notes    []string // profiles left out or settings dropped, and why
}

// ProposedUser is the IAM user behind one source_profile.
type ProposedUser struct {
	Name      string // the source profile's name: also the keychain item `hopd keys set` creates
	MFASerial string
	Region    string
}

// ProposedAccount is one profile that assumes a role.
type ProposedAccount struct {
	Profile string // the profile it comes from
	Name    string
	ID      string
	Role    string
	Region  string // "" when it is the user's
	Color   string // normalised; "" for none
	User    string
}

// ErrNothingToImport means the file has no profile hopd can take over.
var ErrNothingToImport = errors.New("found no profile that assumes a role (role_arn with source_profile) or signs in with IAM Identity Center (sso_session or sso_start_url): nothing to import")

// Compiled at first use: only `hopd import` needs them, and every hopd
// process (`hopd creds` before each AWS call) links this package.
var (
	roleARNRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/(.+)$`) })
	hexColorRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9A-Fa-f]{6}$|^[0-9A-Fa-f]{3}$`) })
)

// Propose reads the role profiles of a shared config file (role_arn,
// source_profile, mfa_serial, region, color) and its IAM Identity Center
// profiles and sessions (sso_session, sso_start_url, sso_region,
// sso_role_name), and proposes the hopd config that reaches the same
// accounts. Profiles hopd cannot take over (role chains, role profiles on
// top of SSO, credential_source) are listed in Notes. The proposal always
// passes config.Parse.
func Propose(source string, data []byte) (*Proposal, error) {
	p := &Proposal{Source: source}
	profiles := map[string]Section{}
	var order []Section
	sections := parse(data)
	for _, s := range sections {
		if s.Kind != KindProfile || s.InHopd {
			continue
		}
		if _, dup := profiles[s.Name]; !dup {
			order = append(order, s)
		}
		profiles[s.Name] = s // a later section of the same name wins, as in the CLI
	}

	users := map[string]*ProposedUser{}
	names := map[string]bool{}
	for _, first := range order {
		s := profiles[first.Name]
		arn, ok := s.Keys["role_arn"]
		if !ok {
			continue
		}
		note := func(format string, args ...any) { note(p, s, format, args...) }
		m := roleARNRE().FindStringSubmatch(arn)
		if m == nil {
			note("left out: role_arn %q is not an IAM role ARN", arn)
			continue
		}
		src, ok := s.Keys["source_profile"]
		if !ok {
			if cs, ok := s.Keys["credential_source"]; ok {
				note("left out: it uses credential_source = %s; hopd hops from an IAM user's keys (source_profile)", cs)
			} else {
				note("left out: it has no source_profile")
			}
			continue
		}
		srcSec, ok := profiles[src]
		switch {
		case ok && srcSec.Keys["role_arn"] != "":
			note("left out: its source_profile %q assumes a role itself; hopd hops from an IAM user's session, one role deep", src)
			continue
		case ok && (srcSec.Keys["sso_session"] != "" || srcSec.Keys["sso_start_url"] != ""):
			note("left out: its source_profile %q signs in with SSO, not with an IAM user's keys", src)
			continue
		case !config.ValidUserName(src):
			note("left out: its source_profile %q is not a name hopd can give the keychain item; rename the profile", src)
			continue
		}

		u := users[src]
		if u == nil {
			u = &ProposedUser{Name: src, MFASerial: srcSec.Keys["mfa_serial"], Region: srcSec.Keys["region"]}
			users[src] = u
			p.Users = append(p.Users, ProposedUser{}) // filled in below, in first-use order
		}
		if mfa := s.Keys["mfa_serial"]; mfa != "" {
			if u.MFASerial == "" {
				u.MFASerial = mfa
			} else if u.MFASerial != mfa {
				note("its mfa_serial differs from the one already chosen for user %s (%s); hopd uses one device per user", src, u.MFASerial)
			}
		}
		a := ProposedAccount{Profile: s.Name, ID: m[1], Role: m[2], Region: s.Keys["region"], User: src}
		a.Name = uniqueName(config.AccountNameFrom(s.Name, a.ID), names)
		if c := s.Keys["color"]; c != "" {
			if hexColorRE().MatchString(c) {
				c = "#" + c // the form of the AWS Extend Switch Roles extension
			}
			if norm, ok := config.ParseColor(c); ok {
				a.Color = norm
			} else {
				note("color %q left out: it is not a colour hopd knows", s.Keys["color"])
			}
		}
		for _, k := range []string{"external_id", "role_session_name", "duration_seconds"} {
			if v, ok := s.Keys[k]; ok {
				note("%s = %s dropped: hopd has no such setting", k, v)
			}
		}
		p.Accounts = append(p.Accounts, a)
	}
	proposeSSO(p, sections, profiles, order)
	if len(p.Accounts) == 0 && len(p.SSO) == 0 {
		return p, ErrNothingToImport
	}

	// Users in the order their first account appears; a user without a
	// region of its own takes its accounts' most common one.
	seen := map[string]bool{}
	p.Users = p.Users[:0]
	for _, a := range p.Accounts {
		if !seen[a.User] {
			seen[a.User] = true
			u := users[a.User]
			if u.Region == "" {
				u.Region = commonRegion(p.Accounts, a.User)
			}
			p.Users = append(p.Users, *u)
		}
	}
	region := map[string]string{}
	for _, u := range p.Users {
		region[u.Name] = u.Region
	}
	for i := range p.Accounts {
		if p.Accounts[i].Region == region[p.Accounts[i].User] {
			p.Accounts[i].Region = ""
		}
	}
	if _, err := config.Parse("proposal", []byte(p.TOML())); err != nil {
		return p, fmt.Errorf("the proposed config is not valid (%v): fix the profile it names in %s, or report this", err, source)
	}
	return p, nil
}

func uniqueName(base string, taken map[string]bool) string {
	name := base
	for n := 2; taken[name]; n++ {
		name = config.NameWithSuffix(base, strconv.Itoa(n))
	}
	taken[name] = true
	return name
}

func commonRegion(accounts []ProposedAccount, user string) string {
	count := map[string]int{}
	for _, a := range accounts {
		if a.User == user && a.Region != "" {
			count[a.Region]++
		}
	}
	best := ""
	for r, n := range count {
		if n > count[best] || n == count[best] && r < best {
			best = r
		}
	}
	return best
}

// TOML renders the proposal as a hopd config file.
func (p *Proposal) TOML() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# hopd config proposed by `hopd import` from %s\n", p.Source)
	if len(p.Users) > 0 {
		fmt.Fprintf(&b, "# Store each user's access keys with: hopd keys set USER\n")
	}
	if len(p.SSO) > 0 {
		fmt.Fprintf(&b, "# Sign in to each IAM Identity Center with: hopd sso login NAME\n")
	}
	one := len(p.Users) == 1
	for _, u := range p.Users {
		if one {
			b.WriteString("\n[user]\n")
		} else {
			b.WriteString("\n[[user]]\n")
		}
		kv(&b, "name", u.Name)
		kv(&b, "mfa_serial", u.MFASerial)
		kv(&b, "region", u.Region)
	}
	for _, s := range p.SSO {
		fmt.Fprintf(&b, "\n[[sso]] # from [%s]\n", comment(s.From))
		kv(&b, "name", s.Name)
		kv(&b, "start_url", s.StartURL)
		kv(&b, "region", s.Region)
		if len(s.Roles) > 0 {
			quoted := make([]string, len(s.Roles))
			for i, r := range s.Roles {
				quoted[i] = strconv.Quote(r)
			}
			fmt.Fprintf(&b, "roles = [%s]\n", strings.Join(quoted, ", "))
		}
	}
	for _, a := range p.Accounts {
		fmt.Fprintf(&b, "\n[[account]] # from [profile %s]\n", comment(a.Profile))
		kv(&b, "name", a.Name)
		kv(&b, "id", a.ID)
		if a.Role != config.DefaultRole {
			kv(&b, "role", a.Role)
		}
		kv(&b, "color", a.Color)
		kv(&b, "region", a.Region)
		if !one {
			kv(&b, "user", a.User)
		}
	}
	return b.String()
}

// comment makes s safe in a TOML comment, which may not hold control
// characters other than tab.
func comment(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// kv writes key = "value", leaving out empty values. strconv.Quote's
// escapes are valid TOML basic-string escapes for the values here.
func kv(b *strings.Builder, key, value string) {
	if value != "" {
		fmt.Fprintf(b, "%s = %s\n", key, strconv.Quote(value))
	}
}
