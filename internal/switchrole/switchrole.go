// Package switchrole writes the console's Switch Role links and exports them as browser bookmarks and an AWS Extend Switch Roles config.
package switchrole

import (
	"net/url"
	"strings"

	"github.com/hopd/hopd/internal/config"
)

// Account is what a link needs about one account.
type Account struct {
	Name   string // hopd's name for it, e.g. "production"
	ID     string // 12 digits
	Role   string // role name, e.g. "OrganizationAccountAccessRole" (may contain a path like "team/Admin")
	Color  string // "#rrggbb" or ""
	Region string // the account's region, e.g. "eu-west-1" (decides the partition)
}

// maxDisplayName is as much of a display name as the console shows.
const maxDisplayName = 64

// Link returns the console's Switch Role URL for the account.
func Link(a Account) string {
	host := config.SigninHost(a.Region)
	// Built by hand rather than with url.Values, which sorts the keys, so
	// the link reads in the documented order: account, role, then looks.
	var b strings.Builder
	b.WriteString("https://" + host + "/switchrole")
	b.WriteString("?account=" + url.QueryEscape(a.ID))
	b.WriteString("&roleName=" + url.QueryEscape(a.Role))
	if name := displayName(a.Name); name != "" {
		b.WriteString("&displayName=" + url.QueryEscape(name))
	}
	if c := ConsoleColor(a.Color); c != "" {
		b.WriteString("&color=" + c)
	}
	return b.String()
}

func displayName(name string) string {
	r := []rune(name)
	if len(r) > maxDisplayName {
		r = r[:maxDisplayName]
	}
	return string(r)
}

// consoleColors are the only values the console accepts for color (as of
// 2024); it silently ignores any other.
var consoleColors = []string{"f2b0a9", "fbc8aa", "efda95", "b7ca9d", "83d4e8"}

// ConsoleColor returns the accepted console colour nearest to hex
// ("#rrggbb" or "rrggbb"), without '#'; "" for "" or a malformed colour.
func ConsoleColor(hex string) string {
	if i := config.NearestColor(hex, consoleColors); i >= 0 {
		return consoleColors[i]
	}
	return ""
}
