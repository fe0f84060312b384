package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// SSO is one [[sso]] block: an IAM Identity Center instance that hopd
// signs in to itself, and whose accounts and roles it serves without an
// [[account]] entry each. An [[account]] with the same id as one of them
// still sets its name, colour, region and ports.
type SSO struct {
	Name     string   // [a-z0-9][a-z0-9_-]*, unique among the [[sso]] blocks; `hopd sso login NAME`
	StartURL string   // start_url: the AWS access portal, https (http only on loopback, for tests)
	Region   string   // region: the Identity Center's own region
	Roles    []string // roles: preferred roles, best first; see PreferredRole
}

type fileSSO struct {
	Name     string   `toml:"name"`
	StartURL string   `toml:"start_url"`
	Region   string   `toml:"region"`
	Roles    []string `toml:"roles"`
}

var ssoKeys = []key{
	{"name", unstable.String, `"acme"`},
	{"start_url", unstable.String, `"https://acme.awsapps.com/start"`},
	{"region", unstable.String, `"eu-west-1"`},
	{"roles", unstable.Array, `["AdministratorAccess", "ReadOnlyAccess"]`},
}

// ssoRoleRE is a role name without a path: Identity Center's roles are
// its permission sets, whose names have no path.
var ssoRoleRE = lazyRE(`^[\w+=,.@-]{1,64}$`)

// LookupSSO returns the [[sso]] block with the given name.
func (c *Config) LookupSSO(name string) (SSO, bool) {
	for _, s := range c.SSO {
		if s.Name == name {
			return s, true
		}
	}
	return SSO{}, false
}

// ssos checks the [[sso]] blocks.
func (v *validator) ssos(r *raw) []SSO {
	var out []SSO                // nil without [[sso]], like a Config from elsewhere
	names := map[string]string{} // name -> path of the first block with it
	for i, fs := range r.sso {
		el := v.element("sso", i)
		base, label, has, fail := el.base, el.label, el.has, el.fail
		s := SSO{Name: fs.Name, StartURL: fs.StartURL, Region: fs.Region}

		el.name(fs.Name, names, "the [[sso]] block", "acme")

		if !has("start_url") {
			fail("start_url", `missing; add the AWS access portal URL, like start_url = "https://acme.awsapps.com/start"`)
		} else if err := CheckStartURL(fs.StartURL); err != nil {
			fail("start_url", "%v", err)
		}

		if !has("region") {
			fail("region", `missing; add the region of the Identity Center, like region = "eu-west-1"`)
		} else {
			v.region(base+".region", label+" region", fs.Region)
		}

		seen := map[string]int{} // lower-cased role -> index of the first
		for j, role := range fs.Roles {
			path := base + ".roles[" + strconv.Itoa(j) + "]"
			prev, dup := seen[strings.ToLower(role)]
			switch {
			case !ValidSSORole(role):
				v.fail(path, label+" roles", "%q is not a role name; give permission set names like \"ReadOnlyAccess\" (up to 64 letters, digits and +=,.@_-)", role)
			case dup:
				v.fail(path, label+" roles", "%q is already in the list (as %q); name each role once", role, fs.Roles[prev])
			default:
				seen[strings.ToLower(role)] = j
				s.Roles = append(s.Roles, role)
			}
		}
		out = append(out, s)
	}
	return out
}

// CheckStartURL checks an AWS access portal URL (start_url). The portal is
// where hopd's sign-in starts, so it must be https; plain http is allowed
// on loopback only, for stand-ins in tests.
func CheckStartURL(s string) error {
	const like = `; write it like "https://acme.awsapps.com/start"`
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return fmt.Errorf("%q is not a URL"+like, s)
	case u.User != nil:
		return fmt.Errorf("%q has a user name or password in it; remove them"+like, s)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http":
		if loopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%q is not https; hopd signs in only over https (plain http is for loopback test servers)"+like, s)
	}
	return fmt.Errorf("%q is not an https URL"+like, s)
}

// ValidSSORole reports whether s can be an Identity Center role, that is a
// permission set name: a role name without a path.
func ValidSSORole(s string) bool { return ssoRoleRE().MatchString(s) }
