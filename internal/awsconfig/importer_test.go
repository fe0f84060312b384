package awsconfig

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hopd/hopd/internal/config"
)

const importSource = `[default]
region = eu-west-1
mfa_serial = arn:aws:iam::111111111111:mfa/michael

[profile Production]
role_arn = arn:aws:iam::222222222222:role/OrganizationAccountAccessRole
source_profile = default
color = d13212

[profile staging]
role_arn=arn:aws:iam::333333333333:role/ops/Deploy
source_profile=default
region=us-east-1
color = orange
external_id = xyz

[profile chained]
role_arn = arn:aws:iam::444444444444:role/Admin
source_profile = staging

[profile ec2]
role_arn = arn:aws:iam::555555555555:role/Admin
credential_source = Ec2InstanceMetadata

[profile client]
source_profile = client-user
role_arn = arn:aws:iam::666666666666:role/Admin
mfa_serial = arn:aws:iam::999999999999:mfa/me

[profile client-user]
region = eu-central-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start

[profile sso-dev]
sso_session = corp

[profile via-sso]
role_arn = arn:aws:iam::777777777777:role/Admin
source_profile = sso-dev

` + BeginMarker + `
[profile hopd-production]
credential_process = /usr/bin/hopd creds production
role_arn = arn:aws:iam::222222222222:role/X
source_profile = default
` + EndMarker + `
`

func TestPropose(t *testing.T) {
	p, err := Propose("~/.aws/config", []byte(crlf(importSource)))
	if err != nil {
		t.Fatal(err)
	}
	wantUsers := []ProposedUser{
		{Name: "default", MFASerial: "arn:aws:iam::111111111111:mfa/michael", Region: "eu-west-1"},
		{Name: "client-user", MFASerial: "arn:aws:iam::999999999999:mfa/me", Region: "eu-central-1"},
	}
	if !reflect.DeepEqual(p.Users, wantUsers) {
		t.Errorf("users:\n got %+v\nwant %+v", p.Users, wantUsers)
	}
	wantAccounts := []ProposedAccount{
		{Profile: "Production", Name: "production", ID: "222222222222", Role: "OrganizationAccountAccessRole", Color: "#d13212", User: "default"},
		{Profile: "staging", Name: "staging", ID: "333333333333", Role: "ops/Deploy", Region: "us-east-1", Color: "#ffa500", User: "default"},
		{Profile: "client", Name: "client", ID: "666666666666", Role: "Admin", User: "client-user"},
	}
	if !reflect.DeepEqual(p.Accounts, wantAccounts) {
		t.Errorf("accounts:\n got %+v\nwant %+v", p.Accounts, wantAccounts)
	}
	notes := strings.Join(p.Notes, "\n")
	for _, want := range []string{"[profile chained] (line 17): left out: its source_profile \"staging\" assumes a role", "credential_source = Ec2InstanceMetadata", "signs in with SSO", "external_id = xyz dropped"} {
		if !strings.Contains(notes, want) {
			t.Errorf("the notes do not say %q:\n%s", want, notes)
		}
	}
	if strings.Contains(notes, "hopd-production") {
		t.Errorf("hopd's own block was read: %s", notes)
	}

	cfg, err := config.Parse("proposal", []byte(p.TOML()))
	if err != nil {
		t.Fatalf("the proposal is not a valid config: %v\n%s", err, p.TOML())
	}
	if len(cfg.Users) != 2 || len(cfg.Accounts) != 3 {
		t.Fatalf("the proposal parses to %+v", cfg)
	}
	staging, _ := cfg.Account("staging")
	if staging.Role != "ops/Deploy" || staging.Region != "us-east-1" || staging.User != "default" || staging.Color != "#ffa500" {
		t.Errorf("staging in the proposal: %+v", staging)
	}
	client, _ := cfg.Account("client")
	if client.Region != "eu-central-1" || client.RoleARN() != "arn:aws:iam::666666666666:role/Admin" {
		t.Errorf("client in the proposal: %+v", client)
	}
}

func TestProposeOneUser(t *testing.T) {
	src := "[profile base]\n[profile a]\nrole_arn = arn:aws:iam::222222222222:role/R\nsource_profile = base\nregion = ap-south-1\n" +
		"[profile A]\nrole_arn = arn:aws:iam::333333333333:role/R\nsource_profile = base\nregion = ap-south-1\n"
	p, err := Propose("config", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	toml := p.TOML()
	if !strings.Contains(toml, "\n[user]\n") || strings.Contains(toml, "user = ") {
		t.Errorf("one user is not written as [user]:\n%s", toml)
	}
	cfg, err := config.Parse("proposal", []byte(toml))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Users[0].Region != "ap-south-1" || cfg.Accounts[1].Name != "a-2" {
		t.Errorf("got %+v; want the accounts' region for the user and a-2 for the second \"a\"", cfg)
	}
}
