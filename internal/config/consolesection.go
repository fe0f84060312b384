package config

import (
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// Console is the [console] table: how every account's console opens,
// discovered accounts included. An account's own browser wins over it.
type Console struct {
	Browser     string // a command template with {url}, or one of BrowserPresets; "" for the default browser
	LogoutFirst bool   // logout_first: sign the browser out of its console session before each sign-in
}

// Browser presets open each account in a browser context of its own,
// without a template to write: several accounts then stay signed in side
// by side, whatever the console's multi-session setting.
const (
	// FirefoxContainer opens the console in a Firefox container named and
	// coloured after the account, through the ext+container: links of the
	// "Open external links in a container" extension.
	FirefoxContainer = "firefox-container"
	// ChromeProfile opens the console in a Chrome or Chromium profile
	// directory of the account's own.
	ChromeProfile = "chrome-profile"
)

// BrowserPresets are the browser values that are not command templates.
var BrowserPresets = []string{FirefoxContainer, ChromeProfile}

var consoleKeys = []key{
	{"browser", unstable.String, `"firefox-container"`},
	{"logout_first", unstable.Bool, `false`},
}

type fileConsole struct {
	Browser     string `toml:"browser"`
	LogoutFirst bool   `toml:"logout_first"`
}

// checkBrowser says what is wrong with a browser value, or "".
func checkBrowser(s string) string {
	if slices.Contains(BrowserPresets, s) || strings.Contains(s, "{url}") || strings.Contains(s, "{url_query}") {
		return ""
	}
	return `must be "firefox-container", "chrome-profile", or a command with {url} where the console address goes, like "firefox --new-tab {url}"`
}

// console checks the [console] table.
func (v *validator) console(fc *fileConsole) Console {
	if fc == nil {
		return Console{}
	}
	if v.d.has("console.browser") {
		if msg := checkBrowser(fc.Browser); msg != "" {
			v.fail("console.browser", "console browser", "%s", msg)
		}
	}
	return Console{Browser: fc.Browser, LogoutFirst: fc.LogoutFirst}
}

// BrowserFor is the browser value in force for an account: its own, else
// [console]'s.
func (c *Config) BrowserFor(a Account) string {
	if a.Browser != "" {
		return a.Browser
	}
	return c.Console.Browser
}
