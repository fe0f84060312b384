package console

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/hopd/hopd/internal/config"
)

// URLQueryPlaceholder is where a template puts the URL query-escaped, for
// browsers that take it inside another URL (ext+container:...&url=...).
const URLQueryPlaceholder = "{url_query}"

// containerColors are the colours a Firefox container can have, as the
// container extensions name and draw them.
var (
	containerColors = []string{"blue", "turquoise", "green", "yellow", "orange", "red", "pink", "purple"}
	containerRGB    = []string{"#37adff", "#00c79a", "#51cd00", "#ffcb00", "#ff9f00", "#ff613d", "#ff4bda", "#af51f5"}
)

// chromes are the Chrome and Chromium commands tried for chrome-profile,
// most likely first.
var chromes = []string{"google-chrome", "google-chrome-stable", "chromium", "chromium-browser"}

// BrowserTemplate turns an account's browser value into a command template:
// a preset becomes the command that opens the account's own container or
// profile; a template, or "" for the default browser, stays as it is.
// lookPath finds commands (exec.LookPath; tests pass their own).
func BrowserTemplate(browser, account, color string, lookPath func(string) (string, error)) (string, error) {
	switch browser {
	case config.FirefoxContainer:
		// The container is created on first use, with this name and colour.
		return fmt.Sprintf("firefox 'ext+container:name=%s&color=%s&icon=briefcase&url=%s'",
			account, ContainerColor(color), URLQueryPlaceholder), nil
	case config.ChromeProfile:
		if lookPath == nil {
			lookPath = exec.LookPath
		}
		for _, c := range chromes {
			if path, err := lookPath(c); err == nil {
				// A profile directory per account: its own cookies, so its
				// own console session. Chrome creates it on first use.
				return fmt.Sprintf("%s --profile-directory=hopd-%s {url}", quoteWord(path), account), nil
			}
		}
		return "", errors.New(`browser = "chrome-profile" needs Chrome or Chromium, and none is on PATH: install one, or set browser to a command like "firefox --new-tab {url}"`)
	}
	return browser, nil
}

// ContainerColor is the Firefox container colour nearest to an account's
// "#rrggbb" colour ("blue" when it has none).
func ContainerColor(hex string) string {
	if i := config.NearestColor(hex, containerRGB); i >= 0 {
		return containerColors[i]
	}
	return "blue"
}

// quoteWord escapes the blanks, quotes and backslashes of a path for
// SplitWords.
func quoteWord(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(" \t'\"\\", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
