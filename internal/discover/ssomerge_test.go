package discover_test

import (
	"slices"
	"testing"

	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/discover"
)

func parse(t *testing.T, src string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("test.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

const acme = `
[[sso]]
name = "acme"
start_url = "https://acme.awsapps.com/start"
region = "eu-west-1"
roles = ["AdministratorAccess", "ReadOnlyAccess"]
`

// entry is what a test checks of a merged account.
type entry struct{ name, id, role, sso, region string }

func entries(cfg *config.Config) []entry {
	var out []entry
	for _, a := range cfg.Accounts {
		out = append(out, entry{a.Name, a.ID, a.Role, a.SSO, a.Region})
	}
	return out
}

func TestMergeSSONamesEveryAccountAndRole(t *testing.T) {
	found := map[string][]discover.SSOAccount{"acme": {
		{ID: "111111111111", Name: "Production", Roles: []string{"ReadOnlyAccess", "AdministratorAccess"}},
		{ID: "222222222222", Name: "Staging EU", Roles: []string{"ReadOnlyAccess", "Billing"}},
		{ID: "333333333333", Name: "Sandbox", Roles: []string{"PowerUser", "Billing"}},
	}}
	got := entries(discover.MergeSSO(parse(t, acme), found))
	want := []entry{
		{"production", "111111111111", "AdministratorAccess", "acme", "eu-west-1"},
		{"production-administratoraccess", "111111111111", "AdministratorAccess", "acme", "eu-west-1"},
		{"production-readonlyaccess", "111111111111", "ReadOnlyAccess", "acme", "eu-west-1"},
		// The first of roles the user has.
		{"staging-eu", "222222222222", "ReadOnlyAccess", "acme", "eu-west-1"},
		{"staging-eu-billing", "222222222222", "Billing", "acme", "eu-west-1"},
		{"staging-eu-readonlyaccess", "222222222222", "ReadOnlyAccess", "acme", "eu-west-1"},
		// None of roles: the first in alphabetical order.
		{"sandbox", "333333333333", "Billing", "acme", "eu-west-1"},
		{"sandbox-billing", "333333333333", "Billing", "acme", "eu-west-1"},
		{"sandbox-poweruser", "333333333333", "PowerUser", "acme", "eu-west-1"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("merged:\n%v\nwant:\n%v", got, want)
	}
}

func TestMergeSSOConfiguredAccountOverridesTheListedOne(t *testing.T) {
	cfg := parse(t, acme+`
[[account]]
name = "prod"
id = "111111111111"
color = "#d13212"
region = "us-east-1"
imds_port = 9931

[[account]]
name = "sandbox"
id = "999999999999"
`)
	found := map[string][]discover.SSOAccount{"acme": {
		{ID: "111111111111", Name: "Production", Roles: []string{"ReadOnlyAccess"}},
		{ID: "333333333333", Name: "Sandbox", Roles: []string{"Billing"}},
	}}
	merged := discover.MergeSSO(cfg, found)
	byName := map[string]config.Account{}
	for _, a := range merged.Accounts {
		byName[a.Name] = a
	}
	p, ok := byName["prod"]
	if !ok || p.SSO != "acme" || p.Role != "ReadOnlyAccess" || p.IMDSPort != 9931 || p.Color != "#d13212" || p.Region != "us-east-1" {
		t.Errorf("prod = %+v, want the listed account under the configured name, colour, region and port", p)
	}
	if r := byName["production-readonlyaccess"]; r.Color != "#d13212" || r.Region != "us-east-1" || r.IMDSPort != 0 {
		t.Errorf("role entry = %+v, want the override's colour and region and no port", r)
	}
	if _, ok := byName["production"]; ok {
		t.Error("the listed name was kept next to the configured one")
	}
	// The configured sandbox keeps its name; the listed one moves aside.
	if s := byName["sandbox"]; s.ID != "999999999999" {
		t.Errorf("sandbox = %+v, want the configured account", s)
	}
	if s := byName["sandbox-3333"]; s.ID != "333333333333" || s.SSO != "acme" {
		t.Errorf("the listed sandbox = %+v, want it under sandbox-3333", s)
	}
	if len(cfg.Accounts) != 2 {
		t.Error("MergeSSO modified its input")
	}
}

func TestMergeSSOWithNothingListedIsTheConfig(t *testing.T) {
	cfg := parse(t, acme)
	if got := discover.MergeSSO(cfg, nil); got != cfg {
		t.Error("MergeSSO without listings returned a copy")
	}
	noRoles := map[string][]discover.SSOAccount{"acme": {{ID: "111111111111", Name: "Production"}}}
	if got := discover.MergeSSO(cfg, noRoles); len(got.Accounts) != 0 {
		t.Errorf("an account without roles gave %v", entries(got))
	}
}
