package config

import (
	"strings"
	"testing"
)

// console = true offers the user's own account's console under the user's
// name, which must therefore name no account.
func TestUserConsole(t *testing.T) {
	c := mustParse(t, lines(
		`[user]`,
		`name = "michael"`,
		`console = true`,
		``,
		`[[account]]`,
		`name = "production"`,
		`id = "222222222222"`,
	))
	if !c.Users[0].Console {
		t.Errorf("console = true parsed as %+v; want Console true", c.Users[0])
	}
	if c := mustParse(t, lines(`[user]`, `name = "michael"`)); c.Users[0].Console {
		t.Error("a user without console parsed with Console true; want it off by default")
	}

	for _, tc := range []struct {
		name, src, want string
	}{
		{"clash", lines(
			`[user]`,
			`name = "ops"`,
			`console = true`,
			``,
			`[[account]]`,
			`name = "ops"`,
			`id = "222222222222"`,
		), `config.toml:3:11: user console: an account is also named "ops"`},
		{"clash among users", lines(
			`[[user]]`,
			`name = "michael"`,
			``,
			`[[user]]`,
			`name = "ops"`,
			`console = true`,
			``,
			`[[account]]`,
			`name = "ops"`,
			`id = "222222222222"`,
			`user = "michael"`,
		), `config.toml:6:11: user "ops" console: an account is also named "ops"`},
		{"not a bool", lines(`[user]`, `name = "michael"`, `console = "yes"`), `user console: must be true or false without quotes`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("config.toml", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse: %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

// [console] sets the browser of every account that names none; an
// account's own browser, template or preset, wins.
func TestConsoleSection(t *testing.T) {
	c := mustParse(t, lines(
		`[user]`,
		`name = "michael"`,
		``,
		`[console]`,
		`browser = "firefox-container"`,
		`logout_first = true`,
		``,
		`[[account]]`,
		`name = "production"`,
		`id = "222222222222"`,
		``,
		`[[account]]`,
		`name = "staging"`,
		`id = "333333333333"`,
		`browser = "chrome-profile"`,
	))
	if !c.Console.LogoutFirst || c.Console.Browser != FirefoxContainer {
		t.Errorf("[console] parsed as %+v; want firefox-container and logout_first", c.Console)
	}
	prod, _ := c.Account("production")
	stag, _ := c.Account("staging")
	if got := c.BrowserFor(prod); got != FirefoxContainer {
		t.Errorf("production's browser is %q; want [console]'s %q", got, FirefoxContainer)
	}
	if got := c.BrowserFor(stag); got != ChromeProfile {
		t.Errorf("staging's browser is %q; want its own %q", got, ChromeProfile)
	}
	if c := mustParse(t, lines(`[user]`, `name = "michael"`)); c.Console != (Console{}) {
		t.Errorf("no [console] parsed as %+v; want the zero Console (default browser, no logout)", c.Console)
	}

	for _, tc := range []struct{ name, src, want string }{
		{"bad browser", lines(`[user]`, `name = "michael"`, `[console]`, `browser = "firefox"`),
			`config.toml:4:11: console browser: must be "firefox-container", "chrome-profile", or a command with {url}`},
		{"unknown key", lines(`[user]`, `name = "michael"`, `[console]`, `logout = true`),
			`console logout: unknown key; remove it or fix its spelling (console keys are browser, logout_first)`},
		{"not a bool", lines(`[user]`, `name = "michael"`, `[console]`, `logout_first = "yes"`),
			`console logout_first: must be true or false without quotes`},
		{"twice", lines(`[user]`, `name = "michael"`, `[[console]]`, `browser = "chrome-profile"`),
			`write [console] with single brackets, once`},
		{"account preset typo", lines(`[user]`, `name = "michael"`, `[[account]]`, `name = "production"`, `id = "222222222222"`, `browser = "chrome-profiles"`),
			`account "production" browser: must be "firefox-container", "chrome-profile", or a command with {url}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("config.toml", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse: %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

// A region that looks like one but is not one this build knows is a typo,
// with the nearest region named; allow_unknown_region lets newer ones in.
func TestUnknownRegion(t *testing.T) {
	src := lines(`[user]`, `name = "michael"`, `region = "eu-wst-1"`)
	_, err := Parse("config.toml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), `config.toml:3:10: user region: "eu-wst-1" is not a region hopd knows; did you mean "eu-west-1"?`) ||
		!strings.Contains(err.Error(), "allow_unknown_region = true") {
		t.Fatalf("Parse: %v; want the nearest region and allow_unknown_region named", err)
	}
	c := mustParse(t, "allow_unknown_region = true\n"+lines(`[user]`, `name = "michael"`, `region = "ap-southeast-9"`))
	if c.Users[0].Region != "ap-southeast-9" {
		t.Errorf("with allow_unknown_region the region is %q; want ap-southeast-9", c.Users[0].Region)
	}
	if _, err := Parse("config.toml", []byte("allow_unknown_region = true\n"+lines(`[user]`, `name = "michael"`, `region = "mars"`))); err == nil {
		t.Error(`allow_unknown_region let "mars" in; want only names shaped like regions`)
	}
	for _, r := range KnownRegions {
		if !ValidRegion(r) {
			t.Errorf("known region %q is not shaped like a region", r)
		}
	}
	if got := NearestRegion("useast1"); got != "us-east-1" {
		t.Errorf("NearestRegion(useast1) = %q", got)
	}
}
