package awsconfig

import (
	"errors"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/hopd/hopd/internal/config"
)

// ssoSource is a ~/.aws/config as `aws configure sso` leaves it, with a
// legacy profile, a second region of the same portal, and the mistakes
// people make.
const ssoSource = `[default]
region = eu-west-1

[sso-session acme]
sso_start_url = https://acme.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access

[profile acme-admin]
sso_session = acme
sso_account_id = 222222222222
sso_role_name = AdministratorAccess
region = us-east-1

[profile acme-read]
sso_session = acme
sso_account_id = 333333333333
sso_role_name = ReadOnlyAccess

[profile acme-admin-too]
sso_session = acme
sso_account_id = 333333333333
sso_role_name = administratoraccess

[profile legacy]
sso_start_url = https://d-1234567890.awsapps.com/start/
sso_region = us-east-1
sso_account_id = 444444444444
sso_role_name = PowerUserAccess

[profile legacy-same-portal]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
sso_account_id = 555555555555
sso_role_name = ViewOnlyAccess

[profile lost]
sso_session = nowhere
sso_role_name = Admin

[profile plain-http]
sso_start_url = http://portal.example.com/start
sso_region = us-east-1

[profile no-region]
sso_start_url = https://other.awsapps.com/start

[profile on-top]
role_arn = arn:aws:iam::666666666666:role/Admin
source_profile = acme-admin

[sso-session Spare Portal]
sso_start_url = https://spare.awsapps.com/start
sso_region = ap-south-1
`

func TestProposeSSO(t *testing.T) {
	p, err := Propose("~/.aws/config", []byte(crlf(ssoSource)))
	if err != nil {
		t.Fatalf("Propose: %v\nnotes: %q", err, p.Notes)
	}
	want := []ProposedSSO{
		{Name: "acme", StartURL: "https://acme.awsapps.com/start", Region: "eu-west-1", Roles: []string{"AdministratorAccess", "ReadOnlyAccess"}, From: "sso-session acme"},
		{Name: "d-1234567890", StartURL: "https://d-1234567890.awsapps.com/start/", Region: "us-east-1", Roles: []string{"PowerUserAccess", "ViewOnlyAccess"}, From: "profile legacy"},
		{Name: "spare-portal", StartURL: "https://spare.awsapps.com/start", Region: "ap-south-1", From: "sso-session Spare Portal"},
	}
	if !reflect.DeepEqual(p.SSO, want) {
		t.Errorf("sso:\n got %+v\nwant %+v", p.SSO, want)
	}
	if len(p.Users) != 0 || len(p.Accounts) != 0 {
		t.Errorf("users %+v, accounts %+v; want none", p.Users, p.Accounts)
	}
	notes := strings.Join(p.Notes, "\n")
	for _, want := range []string{
		`[profile acme-admin] (line 9): taken as [[sso]] "acme"`,
		`[profile lost] (line 37): left out: its sso_session "nowhere" has no [sso-session nowhere] section`,
		`[profile plain-http] (line 41): left out: "http://portal.example.com/start" is not https`,
		`[profile no-region] (line 45): left out: [profile no-region] has no sso_region`,
		`[profile on-top] (line 48): left out: its source_profile "acme-admin" signs in with SSO`,
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("the notes do not say %q:\n%s", want, notes)
		}
	}

	toml := p.TOML()
	if strings.Contains(toml, "[user]") || strings.Contains(toml, "keys set") || !strings.Contains(toml, "hopd sso login NAME") {
		t.Errorf("an SSO-only proposal:\n%s", toml)
	}
	cfg, err := config.Parse("proposal", []byte(toml))
	if err != nil {
		t.Fatalf("the proposal is not a valid config: %v\n%s", err, toml)
	}
	acme, ok := cfg.LookupSSO("acme")
	if !ok || acme.StartURL != "https://acme.awsapps.com/start" || acme.Region != "eu-west-1" || !reflect.DeepEqual(acme.Roles, []string{"AdministratorAccess", "ReadOnlyAccess"}) {
		t.Errorf("acme in the proposal: %+v\n%s", acme, toml)
	}
	if len(cfg.SSO) != 3 {
		t.Errorf("the proposal has %d [[sso]] blocks, want 3:\n%s", len(cfg.SSO), toml)
	}
}

// Role profiles and Identity Centers in one file make one config with both.
func TestProposeSSOAndRoles(t *testing.T) {
	src := ssoSource + realWorld["plain"]
	p, err := Propose("config", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("proposal", []byte(p.TOML()))
	if err != nil {
		t.Fatalf("%v\n%s", err, p.TOML())
	}
	if len(cfg.Users) != 1 || len(cfg.Accounts) != 1 || len(cfg.SSO) != 3 {
		t.Errorf("users %d, accounts %d, sso %d; want 1, 1, 3\n%s", len(cfg.Users), len(cfg.Accounts), len(cfg.SSO), p.TOML())
	}
}

func TestProposeSSONames(t *testing.T) {
	tests := []struct{ session, url, want string }{
		{"acme", "https://x.awsapps.com/start", "acme"},
		{"My Corp SSO", "https://x.awsapps.com/start", "my-corp-sso"},
		{"", "https://d-1234567890.awsapps.com/start", "d-1234567890"},
		{"日本", "https://Portal.example.com/start", "portal"},
		{"", "https://127.0.0.1:4443/start", "sso"},
		{"", "https://[::1]:4443/start", "sso"},
	}
	for _, tt := range tests {
		if got := ssoName(tt.session, tt.url); got != tt.want {
			t.Errorf("ssoName(%q, %q) = %q, want %q", tt.session, tt.url, got, tt.want)
		}
	}
	// Two portals that come out the same get different names.
	p, err := Propose("config", []byte("[profile a]\nsso_start_url = https://acme.awsapps.com/start\nsso_region = eu-west-1\n"+
		"[profile b]\nsso_start_url = https://acme.awsapps.com/start\nsso_region = us-east-1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.SSO) != 2 || p.SSO[0].Name != "acme" || p.SSO[1].Name != "acme-2" {
		t.Errorf("one portal in two regions: %+v", p.SSO)
	}
}

func TestProposeNothing(t *testing.T) {
	_, err := Propose("config", []byte(realWorld["comments and odd spacing"]))
	if !errors.Is(err, ErrNothingToImport) {
		t.Errorf("Propose without role or SSO profiles = %v", err)
	}
}

// awsconfig names profiles with config's naming and must not pull in the
// Organizations SDK (and discovery) to do it, as it once did.
func TestNoOrganizationsDependency(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.Contains(pkg, "service/organizations") || strings.HasSuffix(pkg, "/internal/discover") {
			t.Errorf("awsconfig depends on %s", pkg)
		}
	}
	if !strings.Contains(string(out), "github.com/hopd/hopd/internal/config") {
		t.Errorf("go list -deps does not list internal/config; is its output what the test thinks?\n%s", out)
	}
}
