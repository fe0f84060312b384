package config

import (
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	seeds := []string{
		"",
		header,
		lines(`listen = "[::1]:9911"`, `[[user]]`, `name = "a"`, `region = "eu-west-1"`, `[[user]]`, `name = "b"`,
			`[[account]]`, `name = "p"`, `id = "222222222222"`, `user = "a"`, `imds_port = 9921`, `color = "teal"`,
			`[[account]]`, `name = "q"`, `id = "333333333333"`, `user = "b"`, `browser = "x {url}"`),
		lines(`user = { name = "m" }`, `account = [{ name = "p", id = "222222222222", color = "#abc" }]`),
		header + lines(`[[account]]`, `name = "p"`, `id = 222222222222`),
		header + lines(`[[account]]`, `name = "p"`, `id = "222222222222"`, `[account.sub]`, `x = 1`),
		header + lines(`[[account]]`, `name = "p"`, `id = "222222222222"`, `[[account.sub]]`, `x = 1`),
		lines(`listen = "0.0.0.0:9911"`, `[user]`, `name = "m"`),
		lines(`[user]`, `name = "m`, `"`),
		lines(`a.b.c = [[1, {x = 2}], "s"]`, `"quoted key" = 'v'`),
		"[user]\r\nname = \"m\"\r\n",
		"user.name = \"m\"\nuser.region.x = 1\n",
		lines(`[[sso]]`, `name = "a"`, `start_url = "https://a.awsapps.com/start"`, `region = "eu-west-1"`, `roles = ["A", "B"]`,
			`[[account]]`, `name = "p"`, `id = "222222222222"`),
		lines(`[user]`, `name = "m"`, `profile = "p"`, `[[sso]]`, `name = "a"`, `start_url = "http://[::1]:1/x"`, `region = "eu-west-1"`),
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.toml", data)
		if err != nil {
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("error %T %v is not a *Error", err, err)
			}
			if cerr.Line < 1 || cerr.Column < 1 {
				t.Errorf("error without a position: %v", err)
			}
			checkOneLine(t, err)
			return
		}
		checkValid(t, c)
	})
}

// checkValid checks a parsed configuration against the rules, written
// differently from the validator's.
func checkValid(t *testing.T, c *Config) {
	t.Helper()
	host, _, err := net.SplitHostPort(c.Listen)
	if ip := net.ParseIP(host); err != nil || (!strings.EqualFold(host, "localhost") && (ip == nil || !ip.IsLoopback())) {
		t.Errorf("listen %q is not loopback", c.Listen)
	}
	if len(c.Users) == 0 && len(c.SSO) == 0 {
		t.Errorf("no users and no [[sso]]")
	}
	for _, u := range c.Users {
		if u.Name == "" || len(u.Name) > 64 || u.Region == "" || u.SessionDuration <= 0 {
			t.Errorf("bad user %+v", u)
		}
		if u.Profile != "" && (u.MFASerial != "" || u.MFAProcess != "") {
			t.Errorf("user %q has a profile and MFA settings", u.Name)
		}
	}
	ssoNames := map[string]bool{}
	for _, s := range c.SSO {
		u, err := url.Parse(s.StartURL)
		if ssoNames[s.Name] || !nameRule.MatchString(s.Name) || err != nil || u.Host == "" || u.Scheme != "https" && u.Scheme != "http" || strings.Count(s.Region, "-") < 2 {
			t.Errorf("bad or duplicate [[sso]] %+v", s)
		}
		ssoNames[s.Name] = true
	}
	names := map[string]bool{}
	ports := map[int]bool{}
	for _, a := range c.Accounts {
		if len(a.ID) != 12 || strings.Trim(a.ID, "0123456789") != "" {
			t.Errorf("account %q has id %q", a.Name, a.ID)
		}
		if a.Name == "" || len(a.Name) > 64 || names[a.Name] || a.Name != strings.ToLower(a.Name) {
			t.Errorf("bad or duplicate account name %q", a.Name)
		}
		names[a.Name] = true
		if len(a.Color) != 7 || a.Color[0] != '#' || strings.Trim(a.Color[1:], "0123456789abcdef") != "" {
			t.Errorf("account %q has colour %q", a.Name, a.Color)
		}
		switch _, ok := c.User(a.User); {
		case len(c.Users) == 0 && a.User != "":
			t.Errorf("account %q hops from %q, but there are no users", a.Name, a.User)
		case len(c.Users) == 0:
			// It adjusts an [[sso]] account; its region may come from there.
		case a.Role == "" || a.Region == "" || strings.Count(a.Region, "-") < 2:
			t.Errorf("account %q has role %q region %q", a.Name, a.Role, a.Region)
		case !ok:
			t.Errorf("account %q hops from unknown user %q", a.Name, a.User)
		}
		if a.IMDSPort != 0 && (a.IMDSPort < 1024 || a.IMDSPort > 65535 || ports[a.IMDSPort]) {
			t.Errorf("account %q has imds_port %d", a.Name, a.IMDSPort)
		}
		ports[a.IMDSPort] = a.IMDSPort != 0
		if a.Browser != "" && !strings.Contains(a.Browser, "{url}") {
			t.Errorf("account %q has browser %q", a.Name, a.Browser)
		}
	}
}

// TestParseDeepNesting guards against time quadratic (or worse) in the
// nesting depth: a half-typed file must not stall the daemon.
func TestParseDeepNesting(t *testing.T) {
	const n = 9000
	for name, src := range map[string]string{
		"arrays":       "user = " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n",
		"inline":       "account = [" + strings.Repeat("{a=", n) + "1" + strings.Repeat("}", n) + "]\n",
		"dotted key":   strings.Repeat("a.", n) + "b = 1\n",
		"table header": "[" + strings.Repeat("account.", n) + "x]\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse("deep.toml", []byte(src)); err == nil {
				t.Error("Parse succeeded")
			} else {
				checkOneLine(t, err)
			}
		})
	}
}
