package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// lines joins lines into a file, so that tests can count lines by eye.
func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

func mustParse(t *testing.T, src string) *Config {
	t.Helper()
	c, err := Parse("config.toml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v\nfile:\n%s", err, src)
	}
	return c
}

func TestParseDesignExample(t *testing.T) {
	c := mustParse(t, lines(
		`listen = "127.0.0.1:9911"          # ECS endpoint`,
		`signin_url = "http://127.0.0.1:5000/federation"`,
		``,
		`[user]`,
		`name = "michael"`,
		`mfa_serial = "arn:aws:iam::111111111111:mfa/michael"`,
		`mfa_process = "ykman oath accounts code -s aws"`,
		`region = "us-east-1"`,
		`session_duration = "8h"`,
		``,
		`[[account]]`,
		`name = "production"`,
		`id = "222222222222"`,
		`role = "OrganizationAccountAccessRole"`,
		`color = "#d13212"`,
		`region = "eu-west-1"`,
		`user = "michael"`,
		`imds_port = 9921`,
		`imdsv1 = true`,
		`browser = "firefox --new-tab {url}"`,
	))
	want := &Config{
		Listen:    "127.0.0.1:9911",
		SigninURL: "http://127.0.0.1:5000/federation",
		Users: []User{{
			Name:            "michael",
			MFASerial:       "arn:aws:iam::111111111111:mfa/michael",
			MFAProcess:      "ykman oath accounts code -s aws",
			Region:          "us-east-1",
			SessionDuration: 8 * time.Hour,
		}},
		Accounts: []Account{{
			Name: "production", ID: "222222222222", Role: DefaultRole, Color: "#d13212",
			Region: "eu-west-1", User: "michael", IMDSPort: 9921, IMDSv1: true,
			Browser: "firefox --new-tab {url}",
		}},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
}

func TestParseDefaults(t *testing.T) {
	c := mustParse(t, lines(
		`[user]`,
		`name = "michael"`,
		`[[account]]`,
		`name = "production"`,
		`id = "222222222222"`,
		`[[account]]`,
		`name = "staging"`,
		`id = "333333333333"`,
		`color = "#ABC"`,
	))
	if c.Listen != DefaultListen {
		t.Errorf("Listen = %q, want %q", c.Listen, DefaultListen)
	}
	u := c.Users[0]
	if u.Region != "us-east-1" || u.SessionDuration != DefaultSessionDuration {
		t.Errorf("user defaults: %+v", u)
	}
	for _, a := range c.Accounts {
		if a.Role != DefaultRole || a.Region != "us-east-1" || a.User != "michael" || a.IMDSPort != 0 {
			t.Errorf("account defaults: %+v", a)
		}
	}
	if got, want := c.Accounts[0].Color, defaultColor("production"); got != want {
		t.Errorf("default colour = %q, want %q", got, want)
	}
	if got := c.Accounts[1].Color; got != "#aabbcc" {
		t.Errorf("#ABC normalised to %q, want #aabbcc", got)
	}
	if got := c.Accounts[0].RoleARN(); got != "arn:aws:iam::222222222222:role/"+DefaultRole {
		t.Errorf("RoleARN = %q", got)
	}
}

func TestParseAccountRegionFromItsUser(t *testing.T) {
	c := mustParse(t, lines(
		`[[user]]`,
		`name = "michael"`,
		`region = "eu-central-1"`,
		``,
		`[[user]]`,
		`name = "ops-bot"`,
		`region = "cn-north-1"`,
		``,
		`[[account]]`,
		`name = "production"`,
		`id = "222222222222"`,
		`user = "michael"`,
		``,
		`[[account]]`,
		`name = "china"`,
		`id = "444444444444"`,
		`user = "ops-bot"`,
		``,
		`[[account]]`,
		`name = "override"`,
		`id = "555555555555"`,
		`user = "ops-bot"`,
		`region = "us-gov-west-1"`,
	))
	if len(c.Users) != 2 {
		t.Fatalf("got %d users, want 2", len(c.Users))
	}
	want := []struct{ user, region string }{
		{"michael", "eu-central-1"},
		{"ops-bot", "cn-north-1"},
		{"ops-bot", "us-gov-west-1"},
	}
	for i, w := range want {
		if a := c.Accounts[i]; a.User != w.user || a.Region != w.region {
			t.Errorf("account %s: user %q region %q, want %q %q", a.Name, a.User, a.Region, w.user, w.region)
		}
	}
	if got := c.Accounts[1].RoleARN(); !strings.HasPrefix(got, "arn:aws-cn:") {
		t.Errorf("RoleARN in China = %q", got)
	}
}

func TestParseSeveralUsersForms(t *testing.T) {
	// The same configuration written with [[user]] tables, inline tables and
	// dotted keys.
	forms := map[string]string{
		"array of tables": lines(
			`[[user]]`, `name = "a"`, `[[user]]`, `name = "b"`,
			`[[account]]`, `name = "x"`, `id = "222222222222"`, `user = "b"`),
		"inline": lines(
			`user = [{ name = "a" }, { name = "b" }]`,
			`account = [{ name = "x", id = "222222222222", user = "b" }]`),
	}
	for name, src := range forms {
		t.Run(name, func(t *testing.T) {
			c := mustParse(t, src)
			if len(c.Users) != 2 || c.Users[1].Name != "b" || len(c.Accounts) != 1 || c.Accounts[0].User != "b" {
				t.Errorf("got %+v", c)
			}
		})
	}
}

func TestParseOneUserForms(t *testing.T) {
	for name, src := range map[string]string{
		"table":        lines(`[user]`, `name = "michael"`),
		"inline":       lines(`user = { name = "michael" }`),
		"dotted":       lines(`user.name = "michael"`),
		"one element":  lines(`[[user]]`, `name = "michael"`),
		"BOM and CRLF": "\xef\xbb\xbf[user]\r\nname = \"michael\"\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			c := mustParse(t, src)
			if len(c.Users) != 1 || c.Users[0].Name != "michael" || len(c.Accounts) != 0 {
				t.Errorf("got %+v", c)
			}
		})
	}
}

func TestParseValues(t *testing.T) {
	tests := []struct {
		key, value string
		get        func(*Config) any
		want       any
	}{
		{"color", `"Teal"`, func(c *Config) any { return c.Accounts[0].Color }, "#008080"},
		{"color", `"RebeccaPurple"`, func(c *Config) any { return c.Accounts[0].Color }, "#663399"},
		{"color", `"#D13212"`, func(c *Config) any { return c.Accounts[0].Color }, "#d13212"},
		{"color", `"#fff"`, func(c *Config) any { return c.Accounts[0].Color }, "#ffffff"},
		{"role", `"admin/path/Deploy+Role"`, func(c *Config) any { return c.Accounts[0].Role }, "admin/path/Deploy+Role"},
		{"imds_port", `1024`, func(c *Config) any { return c.Accounts[0].IMDSPort }, 1024},
		{"imds_port", `65535`, func(c *Config) any { return c.Accounts[0].IMDSPort }, 65535},
		{"browser", `'open -a "Google Chrome" {url}'`, func(c *Config) any { return c.Accounts[0].Browser }, `open -a "Google Chrome" {url}`},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			c := mustParse(t, lines(`[user]`, `name = "m"`, `[[account]]`, `name = "a"`, `id = "012345678901"`, tt.key+" = "+tt.value))
			if got := tt.get(c); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseListen(t *testing.T) {
	for _, listen := range []string{"127.0.0.1:9911", "127.1.2.3:1", "localhost:9911", "[::1]:9911", "LOCALHOST:80"} {
		c := mustParse(t, lines(`listen = "`+listen+`"`, `[user]`, `name = "m"`))
		if c.Listen != listen {
			t.Errorf("Listen = %q, want %q", c.Listen, listen)
		}
	}
}

func TestParseSessionDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"15m": 15 * time.Minute, "1h30m": 90 * time.Minute, "36h": 36 * time.Hour} {
		c := mustParse(t, lines(`[user]`, `name = "m"`, `session_duration = "`+in+`"`))
		if got := c.Users[0].SessionDuration; got != want {
			t.Errorf("session_duration %q = %v, want %v", in, got, want)
		}
	}
}

func TestDefaultColorIsStable(t *testing.T) {
	for _, name := range []string{"production", "staging", "a", ""} {
		c := defaultColor(name)
		if c != defaultColor(name) {
			t.Errorf("defaultColor(%q) changes", name)
		}
		if _, ok := parseColor(c); !ok {
			t.Errorf("defaultColor(%q) = %q is not a colour", name, c)
		}
	}
	if len(cssColors) != 148 {
		t.Errorf("cssColors has %d names, want 148", len(cssColors))
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(lines(`[user]`, `name = "m"`)), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != path {
		t.Errorf("Path = %q, want %q", c.Path, path)
	}

	missing := filepath.Join(dir, "nope.toml")
	_, err = Load(missing)
	var cerr *Error
	if !errors.As(err, &cerr) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load(missing) = %T %v, want *Error wrapping ErrNotExist", err, err)
	}
	if !strings.HasPrefix(err.Error(), missing+": ") || !strings.Contains(err.Error(), "create it") {
		t.Errorf("Load(missing) = %q, want the path and how to create the file", err)
	}

	if err := os.WriteFile(path, []byte("[user]\nname = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path)
	if !errors.As(err, &cerr) || cerr.File != path || cerr.Line != 2 {
		t.Errorf("Load(bad) = %v, want an error at %s:2", err, path)
	}
}
