// Package tray shows hopd's menu-bar / notification-area icon and its menu of accounts.
//
// The menu is plain data (Menu, Item) built by Build from a State snapshot,
// so it can be tested without a tray; Run renders it with fyne.io/systray
// and rebuilds it whenever the state changes.
package tray

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/broker"
	"github.com/hopd/hopd/internal/console"
)

// State is what the menu is built from: the broker's status and what the
// daemon adds to it.
type State struct {
	Users        []broker.UserStatus
	Accounts     []broker.AccountStatus
	ConsoleUsers []ConsoleUser        // IAM users whose own account's console the menu offers
	SSO          []api.SSOInfo        // IAM Identity Center sign-ins, in config order
	ConfigError  string               // why the config on disk is not in force
	ActionError  string               // the last menu action that failed, until one succeeds
	Autostart    *bool                // whether hopd starts at login; nil when that cannot be told
	Services     []string             // console services for "Open console at", recent ones first
	ConsoleEnds  map[string]time.Time // account -> when the console session hopd opened for it ends
	Now          time.Time
	Location     *time.Location // for "valid until HH:MM"; default time.Local
}

// ConsoleUser is an IAM user with console = true.
type ConsoleUser struct {
	Name   string
	Region string
}

// Icon is the tray icon's state.
type Icon int

// The tray icon's states.
const (
	IconNormal Icon = iota
	IconMFA
	IconError
)

// Kind is what a menu item does when clicked. Its String, generated from
// the comments below, names it in the log.
type Kind int

//go:generate go run golang.org/x/tools/cmd/stringer@v0.51.0 -type=Kind -linecomment

// The menu's actions.
const (
	None                  Kind = iota // none
	OpenConsole                       // open-console
	CopyEnv                           // copy-env
	CopyCredentialProcess             // copy-credential-process
	EnterMFA                          // enter-mfa
	Reload                            // reload
	ToggleAutostart                   // toggle-autostart
	Quit                              // quit
	OpenDashboard                     // open-dashboard
	SSOLogin                          // sso-login
	CopySigninLink                    // copy-signin-link
)

// Action is a click: what to do, and for which account (or console user),
// region ("" for its own) and console service ("" for the console home).
type Action struct {
	Kind    Kind
	Account string
	Region  string
	Service string
}

// Item is one menu entry.
type Item struct {
	Label     string
	Tooltip   string
	Color     string // "#rrggbb": a dot of the account's colour
	Action    Action
	Disabled  bool
	Checkable bool // a checkbox, ticked when Checked
	Checked   bool
	Separator bool
	Children  []Item // a submenu
}

// Menu is the whole tray: icon, status and items.
type Menu struct {
	Icon   Icon
	Status string // the status line, also the icon's tooltip
	Items  []Item
}

// MaxFlat is the most entries a menu level shows before the accounts are
// grouped, so that a menu of hundreds of accounts stays usable.
const MaxFlat = 15

// Build makes the menu for a state.
func Build(s State) Menu {
	icon, status, detail := statusLine(s)
	m := Menu{Icon: icon, Status: status}
	m.Items = append(m.Items, Item{Label: status, Tooltip: detail, Disabled: true}, separator())

	accounts := make([]Item, 0, len(s.Accounts))
	for _, a := range s.Accounts {
		accounts = append(accounts, accountItem(a, s))
	}
	m.Items = append(m.Items, groupAccounts(accounts)...)
	for _, u := range s.ConsoleUsers {
		m.Items = append(m.Items, Item{
			Label:    u.Name + " (IAM user)",
			Tooltip:  "the console of the IAM user's own account, signed in with GetFederationToken",
			Children: consoleItems(u.Name, u.Region, s.Services),
		})
	}
	if len(s.Accounts) == 0 && len(s.ConsoleUsers) == 0 && len(s.SSO) == 0 {
		m.Items = append(m.Items, Item{Label: "No accounts: add [[account]] to the config", Disabled: true})
	}
	m.Items = append(m.Items, ssoItems(s)...)

	m.Items = append(m.Items, separator())
	if needsMFA(s) {
		m.Items = append(m.Items, Item{Label: "Enter MFA code…", Action: Action{Kind: EnterMFA}})
	}
	for _, u := range s.Users {
		m.Items = append(m.Items, Item{Label: "Copy sign-in link of " + u.Name, Tooltip: "the page where " + u.Name + " signs in to the console (hopd signin-link)",
			Action: Action{Kind: CopySigninLink, Account: u.Name}})
	}
	m.Items = append(m.Items,
		Item{Label: "Open dashboard", Tooltip: "hopd's page in the browser: accounts, MFA code, consoles", Action: Action{Kind: OpenDashboard}},
		Item{Label: "Reload config", Action: Action{Kind: Reload}})
	if s.Autostart != nil {
		m.Items = append(m.Items, Item{Label: "Start at login", Tooltip: "start hopd when you log in (hopd autostart)",
			Checkable: true, Checked: *s.Autostart, Action: Action{Kind: ToggleAutostart}})
	}
	m.Items = append(m.Items,
		separator(),
		Item{Label: "Quit hopd", Action: Action{Kind: Quit}},
	)
	return m
}

func separator() Item { return Item{Separator: true} }

// ssoItems offer a sign-in for every [[sso]] that needs one, and say until
// when the others last.
func ssoItems(s State) []Item {
	var out []Item
	for _, in := range s.SSO {
		switch in.State {
		case api.SSOSignedIn:
			label := in.Name + ": signed in"
			if !in.Expires.IsZero() {
				label += " until " + clock(s, in.Expires)
			}
			out = append(out, Item{Label: label, Tooltip: in.StartURL, Disabled: true})
		case api.SSOSigningIn:
			out = append(out, Item{Label: "Signing in to " + in.Name + "…", Tooltip: "finish the sign-in in the browser", Disabled: true})
		default:
			out = append(out, Item{Label: "Sign in to " + in.Name + "…", Tooltip: "IAM Identity Center at " + in.StartURL, Action: Action{Kind: SSOLogin, Account: in.Name}})
		}
	}
	if len(out) > 0 && len(s.Accounts)+len(s.ConsoleUsers) > 0 {
		out = append([]Item{separator()}, out...)
	}
	return out
}

// clock formats t for a menu line: the time of day, with the weekday when
// it is not today.
func clock(s State, t time.Time) string {
	loc := s.Location
	if loc == nil {
		loc = time.Local
	}
	t = t.In(loc)
	if now := s.Now.In(loc); !s.Now.IsZero() && t.YearDay() != now.YearDay() {
		return t.Format("Mon 15:04")
	}
	return t.Format("15:04")
}

func needsMFA(s State) bool {
	for _, u := range s.Users {
		if u.State == api.UserNeedsMFA {
			return true
		}
	}
	return false
}

// statusLine picks what matters most: an MFA code to enter, then errors,
// then how long the session lasts. detail is the full text for a tooltip.
func statusLine(s State) (icon Icon, line, detail string) {
	for _, u := range s.Users {
		if u.State == api.UserNeedsMFA {
			line = "MFA code needed"
			if len(s.Users) > 1 {
				line += " for " + u.Name
			}
			return IconMFA, line, u.LastError
		}
	}
	if s.ConfigError != "" {
		return IconError, "Config error: " + fewWords(s.ConfigError), s.ConfigError
	}
	if s.ActionError != "" {
		return IconError, fewWords(s.ActionError), s.ActionError
	}
	for _, u := range s.Users {
		if u.State == api.UserError || u.State == api.UserNoKeys {
			return IconError, fewWords(u.LastError), u.LastError
		}
	}
	for _, a := range s.Accounts {
		if a.State == api.AccountError && a.LastError != "" {
			msg := a.Name + ": " + a.LastError
			return IconError, fewWords(msg), msg
		}
	}
	var until time.Time
	for _, u := range s.Users {
		if u.State == api.UserOK && (until.IsZero() || u.SessionExpires.Before(until)) {
			until = u.SessionExpires
		}
	}
	for _, in := range s.SSO {
		if in.State == api.SSONeedsSignIn || in.State == api.SSOError {
			msg := "Sign in to " + in.Name + " (IAM Identity Center)"
			if in.LastError != "" {
				return IconMFA, msg, in.LastError
			}
			return IconMFA, msg, "hopd sso login " + in.Name
		}
	}
	if until.IsZero() {
		if len(s.Users) == 0 && len(s.SSO) > 0 {
			return IconNormal, "Signed in to IAM Identity Center", ""
		}
		return IconNormal, "No session yet", "a session starts when an account is first used"
	}
	return IconNormal, "Session valid until " + clock(s, until), ""
}

// fewWords shortens a message for a menu line, at a word boundary.
func fewWords(s string) string {
	const limit = 60
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= limit {
		return s
	}
	cut := strings.LastIndexByte(s[:limit], ' ')
	if cut < limit/2 {
		cut = limit
	}
	return strings.TrimRight(s[:cut], " ,:;.") + "…"
}

// consoleAgain is how close to its end a console session is offered to be
// opened again.
const consoleAgain = 10 * time.Minute

func accountItem(a broker.AccountStatus, s State) Item {
	var children []Item
	if a.State == api.AccountError && a.LastError != "" {
		children = append(children, Item{Label: "Error: " + fewWords(a.LastError), Tooltip: a.LastError, Disabled: true}, separator())
	}
	console := consoleItems(a.Name, a.Region, s.Services)
	if end, ok := s.ConsoleEnds[a.Name]; ok && s.Now.Before(end) {
		console[0].Tooltip = "the console session opened by hopd ends at " + clock(s, end)
		if end.Sub(s.Now) <= consoleAgain {
			console[0].Label = "Open console again (ends " + clock(s, end) + ")"
		} else {
			console = append([]Item{{Label: "Console open until " + clock(s, end), Disabled: true}}, console...)
		}
	}
	children = append(children, console...)
	children = append(children,
		separator(),
		Item{Label: "Copy hopd env lines", Tooltip: "shell lines that point SDKs at hopd for " + a.Name, Action: Action{Kind: CopyEnv, Account: a.Name}},
		Item{Label: "Copy credential_process line", Tooltip: "a line for a profile in ~/.aws/config", Action: Action{Kind: CopyCredentialProcess, Account: a.Name}},
	)
	return Item{
		Label:    a.Name,
		Tooltip:  fmt.Sprintf("%s · %s · %s", a.ID, a.Role, a.Region),
		Color:    a.Color,
		Children: children,
	}
}

// consoleItems are "Open console", a submenu of services (recent ones
// first) and a submenu of the partition's regions.
func consoleItems(name, region string, services []string) []Item {
	regions := []Item{{
		Label:  region + " (default)",
		Action: Action{Kind: OpenConsole, Account: name, Region: region},
	}}
	for _, r := range console.PartitionOf(region).Regions {
		if r != region {
			regions = append(regions, Item{Label: r, Action: Action{Kind: OpenConsole, Account: name, Region: r}})
		}
	}
	items := []Item{{Label: "Open console", Tooltip: "sign in to the AWS console in " + region, Action: Action{Kind: OpenConsole, Account: name}}}
	if len(services) > 0 {
		at := make([]Item, len(services))
		for i, svc := range services {
			at[i] = Item{Label: svc, Action: Action{Kind: OpenConsole, Account: name, Service: svc}}
		}
		items = append(items, Item{Label: "Open console at", Tooltip: "a service's console, recent ones first", Children: at})
	}
	return append(items, Item{Label: "Open console in region", Children: regions})
}

// groupAccounts keeps up to MaxFlat accounts as they are. More are sorted
// and grouped by name prefix (the part before the first "-" or "_", so
// prod-eu and prod-us go under "prod"), and levels that are still too long
// are cut into alphabetical ranges, so no level has more than MaxFlat entries.
func groupAccounts(items []Item) []Item {
	if len(items) <= MaxFlat {
		return items
	}
	byPrefix := map[string][]Item{}
	var prefixes []string
	for _, it := range items {
		p := prefix(it.Label)
		if _, seen := byPrefix[p]; !seen {
			prefixes = append(prefixes, p)
		}
		byPrefix[p] = append(byPrefix[p], it)
	}
	var entries []Item
	for _, p := range prefixes {
		members := byPrefix[p]
		sortByLabel(members)
		if len(members) == 1 {
			entries = append(entries, members[0])
			continue
		}
		entries = append(entries, Item{
			Label:    fmt.Sprintf("%s (%d)", p, len(members)),
			Tooltip:  "accounts whose names start with " + p,
			Children: fold(members),
		})
	}
	sortByLabel(entries)
	return fold(entries)
}

func prefix(name string) string {
	if i := strings.IndexAny(name, "-_"); i > 0 {
		return name[:i]
	}
	return name
}

func sortByLabel(items []Item) {
	sort.SliceStable(items, func(i, j int) bool { return items[i].Label < items[j].Label })
}

// fold cuts a sorted list into at most MaxFlat ranges, each a submenu named
// after its first and last entries, recursively.
func fold(items []Item) []Item {
	if len(items) <= MaxFlat {
		return items
	}
	size := MaxFlat
	for (len(items)+size-1)/size > MaxFlat {
		size *= MaxFlat
	}
	var out []Item
	for start := 0; start < len(items); start += size {
		chunk := items[start:min(start+size, len(items))]
		if len(chunk) == 1 {
			out = append(out, chunk[0])
			continue
		}
		out = append(out, Item{
			Label:    rangeName(chunk[0]) + " – " + rangeName(chunk[len(chunk)-1]),
			Children: fold(chunk),
		})
	}
	return out
}

// rangeName is the name an entry goes by in a range's label: a group's
// prefix without its count.
func rangeName(it Item) string {
	if i := strings.LastIndex(it.Label, " ("); i > 0 && it.Color == "" {
		return it.Label[:i]
	}
	return it.Label
}
