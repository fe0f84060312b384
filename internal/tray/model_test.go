package tray

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/broker"
)

var (
	noon  = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	prod  = broker.AccountStatus{Name: "production", ID: "222222222222", Role: "OrganizationAccountAccessRole", Region: "eu-west-1", Color: "#d13212", State: api.AccountFresh}
	stage = broker.AccountStatus{Name: "staging", ID: "333333333333", Role: "Admin", Region: "us-east-1", Color: "#ec7211", State: api.AccountIdle}
)

func user(state api.UserState) broker.UserStatus {
	u := broker.UserStatus{Name: "michael", State: state, MFA: true}
	if state == api.UserOK {
		u.SessionExpires = noon.Add(8*time.Hour + 30*time.Minute)
	}
	return u
}

// find returns the first item, at any depth, whose label is label.
func find(items []Item, label string) (Item, bool) {
	for _, it := range items {
		if it.Label == label {
			return it, true
		}
		if c, ok := find(it.Children, label); ok {
			return c, true
		}
	}
	return Item{}, false
}

func TestBuildStatus(t *testing.T) {
	longErr := "config.toml:14:6: account \"staging\" id: must be 12 digits, like \"222222222222\", and more words to cut"
	failing := prod
	failing.State, failing.LastError = api.AccountError, "access denied assuming arn:aws:iam::222222222222:role/OrganizationAccountAccessRole: check the role's trust policy"
	for _, tc := range []struct {
		name    string
		state   State
		icon    Icon
		status  string
		mfaItem bool
	}{
		{"session", State{Users: []broker.UserStatus{user(api.UserOK)}, Accounts: []broker.AccountStatus{prod}}, IconNormal, "Session valid until 20:30", false},
		{"session ends tomorrow", State{Users: []broker.UserStatus{{Name: "michael", State: api.UserOK, SessionExpires: noon.Add(20 * time.Hour)}}}, IconNormal, "Session valid until Wed 08:00", false},
		{"no session", State{Users: []broker.UserStatus{user(api.UserNoSession)}}, IconNormal, "No session yet", false},
		{"needs MFA", State{Users: []broker.UserStatus{user(api.UserNeedsMFA)}, ConfigError: "ignored while MFA is needed"}, IconMFA, "MFA code needed", true},
		{"needs MFA, two users", State{Users: []broker.UserStatus{user(api.UserOK), {Name: "ops", State: api.UserNeedsMFA}}}, IconMFA, "MFA code needed for ops", true},
		{"config error", State{Users: []broker.UserStatus{user(api.UserOK)}, ConfigError: longErr}, IconError, `Config error: config.toml:14:6: account "staging" id: must be 12 digits…`, false},
		{"action error", State{Users: []broker.UserStatus{user(api.UserOK)}, ActionError: "no clipboard program found: install wl-clipboard (Wayland) or xclip (X11)"}, IconError, "no clipboard program found: install wl-clipboard (Wayland)…", false},
		{"keys missing", State{Users: []broker.UserStatus{{Name: "michael", State: api.UserNoKeys, LastError: "no keys stored for user \"michael\""}}}, IconError, `no keys stored for user "michael"`, false},
		{"account error", State{Users: []broker.UserStatus{user(api.UserOK)}, Accounts: []broker.AccountStatus{failing}}, IconError, "production: access denied assuming…", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.state.Now, tc.state.Location = noon, time.UTC
			m := Build(tc.state)
			if m.Icon != tc.icon || m.Status != tc.status {
				t.Errorf("icon %d, status %q; want icon %d, status %q", m.Icon, m.Status, tc.icon, tc.status)
			}
			if first := m.Items[0]; first.Label != m.Status || !first.Disabled {
				t.Errorf("the first item is %+v; want the status line, disabled", first)
			}
			mfa, ok := find(m.Items, "Enter MFA code…")
			if ok != tc.mfaItem || (ok && mfa.Action.Kind != EnterMFA) {
				t.Errorf("Enter MFA code… item: present %v (%+v); want present %v", ok, mfa, tc.mfaItem)
			}
			for _, label := range []string{"Reload config", "Quit hopd"} {
				if _, ok := find(m.Items, label); !ok {
					t.Errorf("no %q item", label)
				}
			}
		})
	}
}

func TestBuildAccountItems(t *testing.T) {
	cn := broker.AccountStatus{Name: "china", ID: "555555555555", Region: "cn-north-1", Color: "#1d8102"}
	failing := stage
	failing.State, failing.LastError = api.AccountError, "cannot reach STS"
	m := Build(State{
		Users:        []broker.UserStatus{user(api.UserOK)},
		Accounts:     []broker.AccountStatus{prod, failing, cn},
		ConsoleUsers: []ConsoleUser{{Name: "michael", Region: "us-east-1"}},
		Now:          noon,
	})
	var names []string
	for _, it := range m.Items {
		if it.Children != nil {
			names = append(names, it.Label)
		}
	}
	if got, want := strings.Join(names, ","), "production,staging,china,michael (IAM user)"; got != want {
		t.Errorf("submenus %s; want %s, in config order", got, want)
	}

	p, _ := find(m.Items, "production")
	if p.Color != "#d13212" || !strings.Contains(p.Tooltip, "222222222222") {
		t.Errorf("production is %+v; want its colour and its id in the tooltip", p)
	}
	open, ok := find(p.Children, "Open console")
	if !ok || open.Action != (Action{Kind: OpenConsole, Account: "production"}) {
		t.Errorf("production's Open console is %+v; want OpenConsole for production in its own region", open)
	}
	for label, kind := range map[string]Kind{"Copy hopd env lines": CopyEnv, "Copy credential_process line": CopyCredentialProcess} {
		if it, ok := find(p.Children, label); !ok || it.Action != (Action{Kind: kind, Account: "production"}) {
			t.Errorf("production's %q is %+v; want kind %v", label, it, kind)
		}
	}
	regions, _ := find(p.Children, "Open console in region")
	if len(regions.Children) < 10 || regions.Children[0].Label != "eu-west-1 (default)" {
		t.Fatalf("production's regions start with %+v; want the account's own region first, then the others", regions.Children[:1])
	}
	if r := regions.Children[1]; r.Action != (Action{Kind: OpenConsole, Account: "production", Region: r.Label}) {
		t.Errorf("region item %+v does not open the console in %s", r, r.Label)
	}
	for _, r := range regions.Children {
		if strings.HasPrefix(r.Label, "cn-") || strings.HasPrefix(r.Label, "us-gov-") {
			t.Errorf("production (partition aws) offers region %s of another partition", r.Label)
		}
	}

	c, _ := find(m.Items, "china")
	cnRegions, _ := find(c.Children, "Open console in region")
	var got []string
	for _, r := range cnRegions.Children {
		got = append(got, r.Label)
	}
	if strings.Join(got, ",") != "cn-north-1 (default),cn-northwest-1" {
		t.Errorf("a China account offers regions %v; want only aws-cn's", got)
	}

	s, _ := find(m.Items, "staging")
	if s.Children[0].Label != "Error: cannot reach STS" || !s.Children[0].Disabled {
		t.Errorf("a failing account's submenu starts with %+v; want its error, disabled", s.Children[0])
	}

	u, _ := find(m.Items, "michael (IAM user)")
	if open, ok := find(u.Children, "Open console"); !ok || open.Action != (Action{Kind: OpenConsole, Account: "michael"}) {
		t.Errorf("the IAM user's Open console is %+v; want OpenConsole for michael", open)
	}
	if _, ok := find(u.Children, "Copy hopd env lines"); ok {
		t.Error("the IAM user's submenu offers hopd env lines; hopd serves no credentials for it")
	}
}

func TestBuildNoAccounts(t *testing.T) {
	m := Build(State{Users: []broker.UserStatus{user(api.UserNoSession)}})
	if _, ok := find(m.Items, "No accounts: add [[account]] to the config"); !ok {
		t.Errorf("a config without accounts shows %+v; want a hint", m.Items)
	}
}

func accounts(names ...string) []broker.AccountStatus {
	as := make([]broker.AccountStatus, len(names))
	for i, n := range names {
		as[i] = broker.AccountStatus{Name: n, ID: fmt.Sprintf("%012d", i+1), Region: "us-east-1", Color: "#0073bb"}
	}
	return as
}

// walk checks that no level has more than MaxFlat entries and collects the
// accounts (items with a colour) it reaches.
func walk(t *testing.T, items []Item, path string, seen map[string]int) {
	t.Helper()
	if len(items) > MaxFlat {
		t.Errorf("%s has %d entries; want at most %d", path, len(items), MaxFlat)
	}
	for _, it := range items {
		if it.Color != "" {
			seen[it.Label]++
			continue
		}
		walk(t, it.Children, path+" > "+it.Label, seen)
	}
}

func TestBuildGrouping(t *testing.T) {
	names := func(n int, format string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf(format, i)
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		accounts []string
		top      []string // labels of the top-level account entries, when checked
	}{
		{"15 stay flat", names(15, "acct%02d"), nil},
		{"by prefix", append(append(names(8, "prod-%d"), names(7, "dev_%d")...), "sandbox", "audit"),
			[]string{"audit", "dev (7)", "prod (8)", "sandbox"}},
		{"prefixes of hundreds", append(names(150, "prod-%03d"), names(150, "dev-%03d")...), []string{"dev (150)", "prod (150)"}},
		{"hundreds of names", names(400, "team%03d"), nil},
		{"thousands of names", names(3500, "a%04d"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := Build(State{Accounts: accounts(tc.accounts...), Now: noon})
			var top []string
			var entries []Item
			for _, it := range m.Items {
				if !it.Separator && !it.Disabled && it.Action.Kind == None {
					top = append(top, it.Label)
					entries = append(entries, it)
				}
			}
			if len(tc.accounts) <= MaxFlat && strings.Join(top, ",") != strings.Join(tc.accounts, ",") {
				t.Errorf("top level %v; want the %d accounts as they are", top, len(tc.accounts))
			}
			if tc.top != nil && strings.Join(top, ",") != strings.Join(tc.top, ",") {
				t.Errorf("top level %v; want %v", top, tc.top)
			}
			seen := map[string]int{}
			walk(t, entries, "top", seen)
			for _, n := range tc.accounts {
				if seen[n] != 1 {
					t.Errorf("account %s is in the menu %d times; want once", n, seen[n])
				}
			}
		})
	}

	m := Build(State{Accounts: accounts(names(40, "team%02d")...), Now: noon})
	if r, ok := find(m.Items, "team00 – team14"); !ok || len(r.Children) != 15 {
		t.Errorf("40 names without a shared prefix: no range team00 – team14 of 15 (%+v)", r)
	}
}

func TestFewWords(t *testing.T) {
	for in, want := range map[string]string{
		"short":                   "short",
		"  spaced \n  out  ":      "spaced out",
		strings.Repeat("a", 80):   strings.Repeat("a", 60) + "…",
		strings.Repeat("ab ", 30): strings.TrimSpace(strings.Repeat("ab ", 20)) + "…",
	} {
		if got := fewWords(in); got != want {
			t.Errorf("fewWords(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestPickTool(t *testing.T) {
	env := func(vars ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(vars); i += 2 {
				if vars[i] == k {
					return vars[i+1]
				}
			}
			return ""
		}
	}
	installed := func(names ...string) func(string) (string, error) {
		return func(n string) (string, error) {
			for _, m := range names {
				if m == n {
					return "/usr/bin/" + n, nil
				}
			}
			return "", errors.New("not found")
		}
	}
	for _, tc := range []struct {
		name      string
		goos      string
		getenv    func(string) string
		look      func(string) (string, error)
		want      string
		wantFound bool
	}{
		{"wayland", "linux", env("WAYLAND_DISPLAY", "wayland-0", "DISPLAY", ":0"), installed("wl-copy", "xclip"), "wl-copy", true},
		{"x11 without wl-copy", "linux", env("WAYLAND_DISPLAY", "wayland-0", "DISPLAY", ":0"), installed("xclip"), "xclip", true},
		{"xsel", "freebsd", env("DISPLAY", ":0"), installed("xsel"), "xsel", true},
		{"no display", "linux", env(), installed("xclip", "wl-copy"), "", false},
		{"macOS", "darwin", env(), installed("pbcopy"), "pbcopy", true},
		{"windows", "windows", env(), installed("clip"), "clip", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			argv, ok := pick(clipboardTools, tc.goos, tc.getenv, tc.look)
			if ok != tc.wantFound || (ok && argv[0] != tc.want) {
				t.Errorf("pick = %v, %v; want %s, %v", argv, ok, tc.want, tc.wantFound)
			}
		})
	}
	if argv, ok := pick(promptTools("michael"), "linux", env(), installed("kdialog")); !ok || argv[0] != "kdialog" || argv[len(argv)-1] != "MFA code for michael" {
		t.Errorf("the MFA prompt on Linux with kdialog is %v; want kdialog asking for michael's code", argv)
	}
}

func TestBuildAutostart(t *testing.T) {
	if _, ok := find(Build(State{Now: noon}).Items, "Start at login"); ok {
		t.Error("Start at login is shown though autostart's state is unknown")
	}
	for _, on := range []bool{false, true} {
		it, ok := find(Build(State{Now: noon, Autostart: &on}).Items, "Start at login")
		if !ok || !it.Checkable || it.Checked != on || it.Action.Kind != ToggleAutostart {
			t.Errorf("with autostart %v, Start at login is %+v (found %v); want a checkbox ticked %v that toggles it", on, it, ok, on)
		}
	}
}

func TestEveryKindHasAName(t *testing.T) {
	seen := map[string]Kind{}
	for k := None; k <= OpenDashboard; k++ {
		name := k.String()
		if strings.HasPrefix(name, "Kind(") {
			t.Errorf("kind %d has no name: add a line comment and run go generate", int(k))
		}
		if other, dup := seen[name]; dup {
			t.Errorf("kinds %d and %d are both %q", int(other), int(k), name)
		}
		seen[name] = k
	}
	if got := OpenDashboard.String(); got != "open-dashboard" {
		t.Errorf("OpenDashboard.String() = %q", got)
	}
}

func TestBuildSSO(t *testing.T) {
	signedIn := api.SSOInfo{Name: "acme", StartURL: "https://acme.awsapps.com/start", State: api.SSOSignedIn, Expires: noon.Add(8 * time.Hour)}
	ended := api.SSOInfo{Name: "corp", StartURL: "https://corp.awsapps.com/start", State: api.SSONeedsSignIn}
	signing := api.SSOInfo{Name: "lab", StartURL: "https://lab.awsapps.com/start", State: api.SSOSigningIn}

	m := Build(State{SSO: []api.SSOInfo{signedIn, ended, signing}, Accounts: []broker.AccountStatus{prod}, Now: noon, Location: time.UTC})
	if m.Icon != IconMFA || m.Status != "Sign in to corp (IAM Identity Center)" {
		t.Errorf("icon %v, status %q: want the sign-in that is needed", m.Icon, m.Status)
	}
	if it, ok := find(m.Items, "acme: signed in until 20:00"); !ok || !it.Disabled {
		t.Errorf("signed-in line: %+v, %v", it, ok)
	}
	it, ok := find(m.Items, "Sign in to corp…")
	if !ok || it.Action != (Action{Kind: SSOLogin, Account: "corp"}) {
		t.Errorf("sign-in item: %+v, %v", it, ok)
	}
	if it, ok := find(m.Items, "Signing in to lab…"); !ok || !it.Disabled {
		t.Errorf("signing-in line: %+v, %v", it, ok)
	}
	if _, ok := find(m.Items, "No accounts: add [[account]] to the config"); ok {
		t.Error("an SSO-only menu says there are no accounts")
	}

	// Signed in everywhere, with no IAM user: the status says so.
	m = Build(State{SSO: []api.SSOInfo{signedIn}, Now: noon})
	if m.Icon != IconNormal || m.Status != "Signed in to IAM Identity Center" {
		t.Errorf("icon %v, status %q", m.Icon, m.Status)
	}
	if SSOLogin.String() != "sso-login" {
		t.Errorf("SSOLogin.String() = %q", SSOLogin.String())
	}
}

// "Open console at" offers the services in the order given (recent ones
// first), each opening that account's console there; every user gets a
// "Copy sign-in link" item.
func TestBuildConsoleServices(t *testing.T) {
	m := Build(State{
		Users:    []broker.UserStatus{user(api.UserOK)},
		Accounts: []broker.AccountStatus{prod, stage},
		Services: []string{"dynamodb", "s3", "ec2"},
		Now:      noon,
	})
	for _, acct := range []string{"production", "staging"} {
		a, _ := find(m.Items, acct)
		at, ok := find(a.Children, "Open console at")
		if !ok || len(at.Children) != 3 {
			t.Fatalf("%s's Open console at is %+v; want the three services", acct, at)
		}
		if first := at.Children[0]; first.Label != "dynamodb" || first.Action != (Action{Kind: OpenConsole, Account: acct, Service: "dynamodb"}) {
			t.Errorf("%s's first service is %+v; want dynamodb opening %s's console there", acct, first, acct)
		}
	}
	link, ok := find(m.Items, "Copy sign-in link of michael")
	if !ok || link.Action != (Action{Kind: CopySigninLink, Account: "michael"}) {
		t.Errorf("the sign-in link item is %+v; want CopySigninLink for michael", link)
	}
	if none := Build(State{Accounts: []broker.AccountStatus{prod}, Now: noon}); func() bool { _, ok := find(none.Items, "Open console at"); return ok }() {
		t.Error("a menu without services has an Open console at submenu; want none")
	}
}

// A console session hopd opened is shown until it ends, and offered
// again in its last ten minutes.
func TestBuildConsoleSessionEnd(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ends     time.Duration
		wantOpen string
		wantInfo bool
	}{
		{"early", 50 * time.Minute, "Open console", true},
		{"near the end", 8 * time.Minute, "Open console again (ends 12:08)", false},
		{"ended", -time.Minute, "Open console", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := Build(State{Accounts: []broker.AccountStatus{prod}, Now: noon, Location: time.UTC,
				ConsoleEnds: map[string]time.Time{"production": noon.Add(tc.ends)}})
			p, _ := find(m.Items, "production")
			if _, ok := find(p.Children, tc.wantOpen); !ok {
				t.Errorf("production's submenu has no %q: %+v", tc.wantOpen, p.Children)
			}
			if _, ok := find(p.Children, "Console open until 12:50"); ok != tc.wantInfo {
				t.Errorf("production's submenu shows the session's end: %t; want %t", ok, tc.wantInfo)
			}
		})
	}
}
