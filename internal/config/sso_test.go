package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// parseErrorCase is a file that Parse refuses, and where and why.
type parseErrorCase struct {
	name      string
	src       string
	line, col int
	field     string
	msg       string // a part of the message
}

// checkParseErrors parses each case's file and checks that it fails at
// line:col with the field and a message containing msg.
func checkParseErrors(t *testing.T, tests []parseErrorCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("config.toml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded with %+v; want an error\nfile:\n%s", c, tt.src)
			}
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("error %T %v is not a *Error", err, err)
			}
			if cerr.File != "config.toml" || cerr.Line != tt.line || cerr.Column != tt.col || cerr.Field != tt.field || !strings.Contains(cerr.Msg, tt.msg) {
				t.Errorf("got  %v\nwant config.toml:%d:%d: %s: ...%s...", err, tt.line, tt.col, tt.field, tt.msg)
			}
			checkOneLine(t, err)
		})
	}
}

func TestParseSSO(t *testing.T) {
	c := mustParse(t, lines(
		`[[sso]]`,
		`name = "acme"`,
		`start_url = "https://acme.awsapps.com/start"`,
		`region = "eu-west-1"`,
		`roles = ["AdministratorAccess", "ReadOnlyAccess"]`,
		``,
		`[[sso]]`,
		`name = "test"`,
		`start_url = "http://127.0.0.1:4566/start"`,
		`region = "us-east-1"`,
		``,
		`[user]`,
		`name = "michael"`,
	))
	want := []SSO{
		{Name: "acme", StartURL: "https://acme.awsapps.com/start", Region: "eu-west-1", Roles: []string{"AdministratorAccess", "ReadOnlyAccess"}},
		{Name: "test", StartURL: "http://127.0.0.1:4566/start", Region: "us-east-1"},
	}
	if !reflect.DeepEqual(c.SSO, want) {
		t.Errorf("got  %+v\nwant %+v", c.SSO, want)
	}
	if s, ok := c.LookupSSO("test"); !ok || s.Region != "us-east-1" {
		t.Errorf("LookupSSO(test) = %+v, %v", s, ok)
	}
	if _, ok := c.LookupSSO("nope"); ok {
		t.Error("LookupSSO found a block that is not there")
	}
}

// An SSO-only shop needs no [user]; an [[account]] may still adjust an
// Identity Center account, which validation cannot know about yet.
func TestParseSSOOnly(t *testing.T) {
	c := mustParse(t, lines(
		`[[sso]]`,
		`name = "acme"`,
		`start_url = "https://acme.awsapps.com/start"`,
		`region = "eu-west-1"`,
		``,
		`[[account]]`,
		`name = "prod"`,
		`id = "222222222222"`,
		`color = "red"`,
		`imds_port = 9921`,
	))
	if len(c.Users) != 0 || len(c.SSO) != 1 {
		t.Fatalf("users %+v, sso %+v", c.Users, c.SSO)
	}
	if a, _ := c.Account("prod"); a.User != "" || a.Color != "#ff0000" || a.IMDSPort != 9921 {
		t.Errorf("the account: %+v", a)
	}
	// Inline forms mean the same.
	c = mustParse(t, lines(`sso = [{ name = "a", start_url = "https://a.awsapps.com/start", region = "eu-west-1", roles = ["R"] }]`))
	if len(c.SSO) != 1 || c.SSO[0].Roles[0] != "R" {
		t.Errorf("inline: %+v", c.SSO)
	}
}

func TestParseSSOErrors(t *testing.T) {
	const sso = "[[sso]]\nname = \"acme\"\nregion = \"eu-west-1\"\n" // lines 1-3
	const url = "start_url = \"https://acme.awsapps.com/start\"\n"   // line 4 after sso
	checkParseErrors(t, []parseErrorCase{
		{"neither user nor sso", lines(`listen = "127.0.0.1:9911"`), 1, 1, "user", "or an [[sso]] block"},
		{"unknown key", sso + url + lines(`role = "x"`), 5, 1, `sso "acme" role`, "unknown key; remove it or fix its spelling (sso keys are name, start_url, region, roles)"},
		{"one table", lines(`[sso]`, `name = "acme"`), 1, 1, "sso", "double brackets"},
		{"inline table", lines(`sso = { name = "acme" }`), 1, 7, "sso", "double brackets"},
		{"missing name", lines(`[[sso]]`, `start_url = "https://a.awsapps.com/start"`, `region = "eu-west-1"`), 1, 1, "sso #1 name", "missing"},
		{"bad name", lines(`[[sso]]`, `name = "Acme"`, `start_url = "https://a.awsapps.com/start"`, `region = "eu-west-1"`), 2, 8, `sso "Acme" name`, "lower-case"},
		{"long name", lines(`[[sso]]`, `name = "`+strings.Repeat("a", 65)+`"`, `start_url = "https://a.awsapps.com/start"`, `region = "eu-west-1"`), 2, 8, "sso #1 name", "up to 64"},
		{"duplicate name", sso + url + sso + url, 6, 8, `sso "acme" name`, "line 2 has the same name"},
		{"missing start_url", sso, 1, 1, `sso "acme" start_url`, "missing"},
		{"http start_url", sso + lines(`start_url = "http://acme.awsapps.com/start"`), 4, 13, `sso "acme" start_url`, "not https"},
		{"http on a lookalike host", sso + lines(`start_url = "http://127.0.0.1.example.com/start"`), 4, 13, `sso "acme" start_url`, "not https"},
		{"no scheme", sso + lines(`start_url = "acme.awsapps.com/start"`), 4, 13, `sso "acme" start_url`, "not a URL"},
		{"ftp", sso + lines(`start_url = "ftp://acme.awsapps.com/start"`), 4, 13, `sso "acme" start_url`, "not an https URL"},
		{"user info", sso + lines(`start_url = "https://me:pw@acme.awsapps.com/start"`), 4, 13, `sso "acme" start_url`, "user name or password"},
		{"start_url not a string", sso + lines(`start_url = 1`), 4, 13, `sso "acme" start_url`, "string in quotes"},
		{"missing region", lines(`[[sso]]`, `name = "acme"`, url), 1, 1, `sso "acme" region`, "missing"},
		{"bad region", lines(`[[sso]]`, `name = "acme"`, `region = "Ireland"`) + url, 3, 10, `sso "acme" region`, "not an AWS region"},
		{"roles not a list", sso + url + lines(`roles = "Admin"`), 5, 9, `sso "acme" roles`, "list of strings"},
		{"roles with a number", sso + url + lines(`roles = ["Admin", 1]`), 5, 19, `sso "acme" roles`, "only strings"},
		{"empty role", sso + url + lines(`roles = ["Admin", ""]`), 5, 19, `sso "acme" roles`, "not a role name"},
		{"role with a path", sso + url + lines(`roles = ["ops/Admin"]`), 5, 10, `sso "acme" roles`, "not a role name"},
		{"duplicate role", sso + url + lines(`roles = ["Admin", "ReadOnly", "admin"]`), 5, 31, `sso "acme" roles`, `"admin" is already in the list (as "Admin")`},
		{"account names a user that is not there", sso + url + lines(`[[account]]`, `name = "p"`, `id = "222222222222"`, `user = "m"`), 8, 8, `account "p" user`, "no [user]"},
		{"discover without a user", sso + url + lines(`[discover]`, `organizations = true`), 5, 1, "discover organizations", "needs a [user]"},
	})
}

func TestParseUserProfile(t *testing.T) {
	c := mustParse(t, lines(`[user]`, `name = "michael"`, `profile = "michael-login"`, `region = "eu-west-1"`, `console = true`))
	if u := c.Users[0]; u.Profile != "michael-login" || u.Region != "eu-west-1" || !u.Console || u.MFASerial != "" {
		t.Errorf("user: %+v", u)
	}
	// Several users: each chooses its own source.
	c = mustParse(t, lines(
		`[[user]]`, `name = "keys"`, `mfa_serial = "arn:aws:iam::111111111111:mfa/keys"`,
		`[[user]]`, `name = "login"`, `profile = "my profile"`,
		`[[account]]`, `name = "p"`, `id = "222222222222"`, `user = "login"`))
	if c.Users[0].Profile != "" || c.Users[1].Profile != "my profile" || c.Accounts[0].User != "login" {
		t.Errorf("users: %+v, accounts %+v", c.Users, c.Accounts)
	}
}

func TestParseUserProfileErrors(t *testing.T) {
	checkParseErrors(t, []parseErrorCase{
		{"with mfa_serial", lines(`[user]`, `name = "m"`, `profile = "p"`, `mfa_serial = "arn:aws:iam::111111111111:mfa/m"`), 4, 14, "user mfa_serial", "cannot be used with profile: the profile's own settings decide"},
		{"with mfa_process", lines(`[user]`, `name = "m"`, `mfa_process = "ykman"`, `profile = "p"`), 3, 15, "user mfa_process", "cannot be used with profile"},
		{"with session_duration", lines(`[user]`, `name = "m"`, `profile = "p"`, `session_duration = "8h"`), 4, 20, "user session_duration", "cannot be used with profile"},
		{"several users", lines(`[[user]]`, `name = "a"`, `[[user]]`, `name = "b"`, `profile = "p"`, `mfa_serial = "arn:aws:iam::111111111111:mfa/m"`), 6, 14, `user "b" mfa_serial`, "cannot be used with profile"},
		{"empty", lines(`[user]`, `name = "m"`, `profile = ""`), 3, 11, "user profile", "is not a profile name"},
		{"spaces around", lines(`[user]`, `name = "m"`, `profile = " p"`), 3, 11, "user profile", "starts or ends with a space"},
		{"control character", lines(`[user]`, `name = "m"`, `profile = "a\tb"`), 3, 11, "user profile", "control characters"},
		{"not a string", lines(`[user]`, `name = "m"`, `profile = true`), 3, 11, "user profile", "string in quotes"},
	})
}
