package config

import (
	"reflect"
	"testing"
	"time"
)

func TestParseDiscover(t *testing.T) {
	c := mustParse(t, lines(
		`[user]`,
		`name = "michael"`,
		``,
		`[discover]`,
		`organizations = true`,
		`role = "path/Admin"`,
		`ous = ["ou-ab12-cdef3456", "Workloads/Production", "r-ab12"]`,
		`name_pattern = "prod-*"`,
		`exclude = ["111111111111", "Audit"]`,
		`refresh = "30m"`,
	))
	want := Discover{
		Organizations: true,
		Role:          "path/Admin",
		OUs:           []string{"ou-ab12-cdef3456", "Workloads/Production", "r-ab12"},
		NamePattern:   "prod-*",
		Exclude:       []string{"111111111111", "Audit"},
		Refresh:       30 * time.Minute,
		User:          "michael",
	}
	if !reflect.DeepEqual(c.Discover, want) {
		t.Errorf("got  %+v\nwant %+v", c.Discover, want)
	}
}

func TestParseDiscoverDefaults(t *testing.T) {
	c := mustParse(t, lines(`[user]`, `name = "michael"`, `[discover]`, `organizations = true`))
	want := Discover{Organizations: true, Role: DefaultRole, Refresh: DefaultDiscoverRefresh, User: "michael"}
	if !reflect.DeepEqual(c.Discover, want) {
		t.Errorf("got  %+v\nwant %+v", c.Discover, want)
	}
	// No table: nothing is discovered, and the zero value says so.
	c = mustParse(t, lines(`[user]`, `name = "michael"`))
	if !reflect.DeepEqual(c.Discover, Discover{}) {
		t.Errorf("without [discover]: %+v; want the zero value", c.Discover)
	}
	// Inline and dotted forms mean the same.
	for _, src := range []string{
		lines(`discover = { organizations = true, ous = ["Prod"] }`, `[user]`, `name = "m"`),
		lines(`discover.organizations = true`, `discover.ous = ["Prod"]`, `[user]`, `name = "m"`),
	} {
		c := mustParse(t, src)
		if !c.Discover.Organizations || len(c.Discover.OUs) != 1 || c.Discover.User != "m" {
			t.Errorf("%q: got %+v", src, c.Discover)
		}
	}
}

func TestParseDiscoverSeveralUsers(t *testing.T) {
	c := mustParse(t, lines(
		`[[user]]`, `name = "a"`, `[[user]]`, `name = "b"`,
		`[discover]`, `organizations = true`, `user = "b"`))
	if c.Discover.User != "b" {
		t.Errorf("discover user = %q, want b", c.Discover.User)
	}
}

func TestParseDiscoverErrors(t *testing.T) {
	checkParseErrors(t, []parseErrorCase{
		{"unknown key", lines(`[user]`, `name = "m"`, `[discover]`, `organisations = true`), 4, 1, "discover organisations", "unknown key"},
		{"quoted bool", lines(`[user]`, `name = "m"`, `[discover]`, `organizations = "yes"`), 4, 17, "discover organizations", "true or false"},
		{"ous not a list", lines(`[user]`, `name = "m"`, `[discover]`, `ous = "Prod"`), 4, 7, "discover ous", "list of strings"},
		{"ous with a number", lines(`[user]`, `name = "m"`, `[discover]`, `ous = ["Prod", 3]`), 4, 16, "discover ous", "only strings"},
		{"bad ou id", lines(`[user]`, `name = "m"`, `[discover]`, `ous = ["Prod", "ou-XY"]`), 4, 16, "discover ous", "looks like an OU id"},
		{"empty ou part", lines(`[user]`, `name = "m"`, `[discover]`, `ous = ["Workloads//Prod"]`), 4, 8, "discover ous", "empty part"},
		{"empty exclude", lines(`[user]`, `name = "m"`, `[discover]`, `exclude = ["111111111111", " "]`), 4, 28, "discover exclude", "not an account"},
		{"empty pattern", lines(`[user]`, `name = "m"`, `[discover]`, `name_pattern = ""`), 4, 16, "discover name_pattern", "pattern"},
		{"bad refresh", lines(`[user]`, `name = "m"`, `[discover]`, `refresh = "6 hours"`), 4, 11, "discover refresh", "not a duration"},
		{"short refresh", lines(`[user]`, `name = "m"`, `[discover]`, `refresh = "10s"`), 4, 11, "discover refresh", "1m to 168h"},
		{"bad role", lines(`[user]`, `name = "m"`, `[discover]`, `role = "my role"`), 4, 8, "discover role", "not an IAM role name"},
		{"unknown user", lines(`[user]`, `name = "m"`, `[discover]`, `user = "bob"`), 4, 8, "discover user", `no user named "bob"`},
		{"several users, none named", lines(`[[user]]`, `name = "a"`, `[[user]]`, `name = "b"`, `[discover]`, `organizations = true`), 5, 1, "discover user", `one of "a", "b"`},
		{"array of tables", lines(`[user]`, `name = "m"`, `[[discover]]`, `organizations = true`), 3, 1, "discover", "single brackets"},
		{"not a table", lines(`discover = true`, `[user]`, `name = "m"`), 1, 12, "discover", "must be a table"},
		{"nested table", lines(`[user]`, `name = "m"`, `[discover.role]`, `x = 1`), 3, 1, "discover role", "string in quotes"},
	})
}

func TestIsOUID(t *testing.T) {
	for s, want := range map[string]bool{
		"ou-ab12-cdef3456": true, "r-ab12": true, "ou-ab12": false, "Prod": false, "OU-AB12-CDEF3456": false,
	} {
		if got := IsOUID(s); got != want {
			t.Errorf("IsOUID(%q) = %v, want %v", s, got, want)
		}
	}
}
