package awsconfig

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/hopd/hopd/internal/config"
)

// ProposedSSO is one IAM Identity Center that profiles sign in to: a
// distinct start URL and region.
type ProposedSSO struct {
	Name     string
	StartURL string
	Region   string
	Roles    []string // the profiles' sso_role_name, in the order first seen
	From     string   // the section it was first seen in, like "sso-session corp"
}

// ssoKey tells Identity Centers apart.
type ssoKey struct{ url, region string }

// ssoImport gathers the Identity Centers of a file's profiles and sessions.
type ssoImport struct {
	p        *Proposal
	sessions map[string]Section // sso-session name -> section
	byKey    map[ssoKey]int     // -> index in p.SSO
	names    map[string]bool
}

// proposeSSO turns sso-session sections, and profiles that use one or carry
// the legacy sso_start_url themselves, into [[sso]] blocks: one per start
// URL and region, named for the sso-session (or the portal's subdomain),
// with the profiles' roles as the preference order. hopd lists the
// accounts and roles itself, so the profiles' accounts are not kept.
func proposeSSO(p *Proposal, sections []Section, profiles map[string]Section, order []Section) {
	im := &ssoImport{p: p, sessions: map[string]Section{}, byKey: map[ssoKey]int{}, names: map[string]bool{}}
	var sessionOrder []Section
	for _, s := range sections {
		if s.Kind != KindSSOSession || s.InHopd {
			continue
		}
		if _, dup := im.sessions[s.Name]; !dup {
			sessionOrder = append(sessionOrder, s)
		}
		im.sessions[s.Name] = s // a later section of the same name wins, as in the CLI
	}
	used := map[string]bool{}
	for _, first := range order {
		s := profiles[first.Name]
		if s.Keys["role_arn"] != "" {
			continue // a role profile, perhaps from an SSO one: the role importer says why it is left out
		}
		if name, ok := s.Keys["sso_session"]; ok {
			used[name] = true
			im.fromSession(s, name)
		} else if _, ok := s.Keys["sso_start_url"]; ok {
			im.fromLegacy(s)
		}
	}
	// Sessions that no profile uses still name an Identity Center hopd can
	// sign in to.
	for _, first := range sessionOrder {
		if !used[first.Name] {
			im.add(im.sessions[first.Name], first.Name, im.sessions[first.Name], "")
		}
	}
}

func note(p *Proposal, s Section, format string, args ...any) {
	p.Notes = append(p.Notes, fmt.Sprintf("[%s] (line %d): ", s.Header, s.Line)+fmt.Sprintf(format, args...))
}

// fromSession takes a profile that signs in through [sso-session name].
func (im *ssoImport) fromSession(prof Section, name string) {
	sess, ok := im.sessions[name]
	if !ok {
		note(im.p, prof, "left out: its sso_session %q has no [sso-session %s] section", name, name)
		return
	}
	im.add(sess, name, prof, prof.Keys["sso_role_name"])
}

// fromLegacy takes a profile with sso_start_url and sso_region of its own.
func (im *ssoImport) fromLegacy(prof Section) {
	im.add(prof, "", prof, prof.Keys["sso_role_name"])
}

// add records the Identity Center that src (a session or a legacy profile)
// describes, and role as one of its preferred roles.
func (im *ssoImport) add(src Section, session string, prof Section, role string) {
	startURL, region := src.Keys["sso_start_url"], src.Keys["sso_region"]
	switch {
	case startURL == "":
		note(im.p, prof, "left out: [%s] has no sso_start_url", src.Header)
		return
	case config.CheckStartURL(startURL) != nil:
		note(im.p, prof, "left out: %v", config.CheckStartURL(startURL))
		return
	case !config.ValidRegion(region):
		note(im.p, prof, "left out: [%s] has no sso_region hopd can use (%q)", src.Header, region)
		return
	}
	key := ssoKey{strings.TrimRight(startURL, "/"), region}
	i, ok := im.byKey[key]
	if !ok {
		i = len(im.p.SSO)
		im.byKey[key] = i
		im.p.SSO = append(im.p.SSO, ProposedSSO{Name: uniqueName(ssoName(session, startURL), im.names), StartURL: startURL, Region: region, From: src.Header})
	}
	if prof.Kind == KindProfile {
		note(im.p, prof, "taken as [[sso]] %q: hopd lists its accounts and roles itself, so this profile's account and region are not kept", im.p.SSO[i].Name)
	}
	if role == "" {
		return
	}
	if !config.ValidSSORole(role) {
		note(im.p, prof, "sso_role_name %q left out: it is not a permission set name", role)
		return
	}
	sso := &im.p.SSO[i]
	for _, r := range sso.Roles {
		if strings.EqualFold(r, role) {
			return
		}
	}
	sso.Roles = append(sso.Roles, role)
}

// ssoName names a block for its sso-session, or else for the first label
// of the portal's host name ("acme" for acme.awsapps.com), or else "sso".
func ssoName(session, startURL string) string {
	if n := config.SSOAccountName(session); n != "" {
		return n
	}
	if u, err := url.Parse(startURL); err == nil && net.ParseIP(u.Hostname()) == nil {
		host, _, _ := strings.Cut(u.Hostname(), ".")
		if n := config.SSOAccountName(host); n != "" {
			return n
		}
	}
	return "sso"
}
