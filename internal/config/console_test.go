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
