package e2e_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/godbus/dbus/v5"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/testenv"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "write docs/dashboard.png and docs/dashboard-mfa.png from TestDashboard")

// newBrowser starts Debian's headless Chromium with a fresh profile and
// returns a chromedp context on a tab; flags are added to the usual ones.
func newBrowser(t *testing.T, flags ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		testenv.Missing(t, "chromium (apt-get install chromium)", exec.ErrNotFound)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // the sandbox needs user namespaces that test machines may not allow
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(1100, 820),
	)
	opts = append(opts, flags...)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	cctx, ccancel := chromedp.NewContext(actx)
	t.Cleanup(ccancel)
	return cctx
}

// js evaluates a JavaScript expression in the page and returns its value.
func js[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s in the page: %v", expr, err)
	}
	return v
}

// waitPage polls a JavaScript condition in the page until it holds, or
// fails naming what was awaited and what the page shows. A navigation
// while it polls (the login page moving on) only restarts the poll.
func waitPage(t *testing.T, ctx context.Context, within time.Duration, cond, what string) {
	t.Helper()
	var err error
	held := false
	testenv.Poll(within, func() bool {
		held, err = chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		return (err == nil && held) || ctx.Err() != nil
	})
	if err != nil || !held {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		t.Fatalf("%s: not within %s (%v); the page shows:\n%s", what, within, err, text)
	}
}

// clickPage clicks the element selected by css.
func clickPage(t *testing.T, ctx context.Context, css string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible)); err != nil {
		t.Fatalf("clicking %s: %v", css, err)
	}
}

// screenshot writes the browser's viewport to docs/name with -update-screenshots.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if !*updateScreenshots {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("taking the screenshot %s: %v", name, err)
	}
	path := filepath.Join(testenv.RepoRoot(t), "docs", name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

// dashboardConfig is d's config with an MFA device, a colour per account,
// console sign-in at f, and the accounts in browsers opening with their
// opener.
func (d *daemon) dashboardConfig(f *federation, browsers map[string]opener) string {
	cfg := d.config(d.accounts)
	cfg = strings.Replace(cfg, "\n\n[user]\n", fmt.Sprintf("\nsignin_url = %q\n\n[user]\n", f.Endpoint()), 1)
	colors := []string{"#d13212", "#1d8102", "#8c4fff"}
	for i, a := range d.accounts {
		extra := fmt.Sprintf("color = %q\n", colors[i%len(colors)])
		if o, ok := browsers[a.Name]; ok {
			extra += fmt.Sprintf("browser = %q\n", o.template())
		}
		cfg = strings.Replace(cfg, fmt.Sprintf("name = %q\n", a.Name), fmt.Sprintf("name = %q\n", a.Name)+extra, 1)
	}
	return cfg
}

// pageAccount is an account as the page shows it.
type pageAccount struct {
	Name    string           `json:"name"`
	State   api.AccountState `json:"state"`
	Badge   string           `json:"badge"`
	Clients []string         `json:"clients"`
}

const readAccounts = `Array.from(document.querySelectorAll('#accounts li.account'), li => ({
	name: li.dataset.account,
	state: li.dataset.state,
	badge: li.querySelector('.badge').textContent,
	clients: Array.from(li.querySelectorAll('.clients li'), c => c.textContent),
}))`

// TestDashboard drives the browser page in a real Chromium: the one-time
// link opens it once, it shows every account and its state, a wrong MFA
// code is refused and a right one starts the session, the page follows
// the state without a reload, names the clients that fetched credentials,
// opens a console, re-reads the config, and never holds a secret. The user
// is told on the desktop, once, that a code is needed.
func TestDashboard(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, options{mfa: true})
	f := startFederation(t, d.moto)
	o := newOpener(t)
	d.WriteConfig(d.dashboardConfig(f, map[string]opener{"staging": o}))
	d.setKeys(iamKeyID, iamSecret)
	notes := ownNotifications(t, d.keyEnv)
	d.start()

	// A client asks: the user comes to need a code, and the desktop says so.
	if r := d.ecs("production"); r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), "hopd mfa") {
		t.Fatalf("GET /creds/production before any MFA code: %d %s; want a 503 naming `hopd mfa`", r.status, r.shown())
	}
	eventually(t, 10*time.Second, func() string {
		if notes.count(d.user) == 0 {
			return "no desktop notification asked for an MFA code for " + d.user
		}
		return ""
	})
	for range 3 {
		d.ecs("production")
	}

	link := strings.TrimSpace(d.mustRun("dashboard", "--print"))
	if !strings.HasPrefix(link, "http://"+d.Listen+"/login?t=") {
		t.Fatalf("hopd dashboard --print printed %q; want a one-time link on %s", link, d.Listen)
	}
	t.Run("command line", func(t *testing.T) {
		b := newOpener(t)
		if r := d.run("dashboard", "--browser", b.template()); r.code != 0 {
			t.Errorf("hopd dashboard --browser: exit %d: %s", r.code, r.stderr)
		}
		if got := b.urls(); len(got) != 1 || !strings.HasPrefix(got[0], "http://"+d.Listen+"/login?t=") || got[0] == link {
			t.Errorf("hopd dashboard --browser gave the browser %v; want one new one-time link", got)
		}
		if out := d.mustRun("dashboard", "--help"); !strings.Contains(out, "one-time link") {
			t.Errorf("hopd dashboard --help does not explain the one-time link:\n%s", out)
		}
		noDaemon := append(d.Env, "HOPD_STATE_DIR="+filepath.Join(t.TempDir(), "state"))
		for _, tc := range []struct {
			env  []string
			args []string
			want string
		}{
			{nil, []string{"dashboard", "now"}, "unknown command"},
			{nil, []string{"dashboard", "--browser", "firefox"}, "{url}"},
			{noDaemon, []string{"dashboard"}, "not running"},
		} {
			env := tc.env
			if env == nil {
				env = d.Env
			}
			r := runCmd(t, env, "", d.Bin, tc.args...)
			if r.code == 0 || !oneLine(r.stderr) || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("hopd %s: exit %d, stderr %q; want a failure in one line with %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.want)
			}
		}
	})
	ctx := newBrowser(t)
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(link))
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("opening the one-time link: %v (status %v)", err, resp)
	}
	waitPage(t, ctx, 15*time.Second, `document.querySelectorAll('#accounts li.account').length === 3 && !document.getElementById('mfa').hidden`,
		"the page lists three accounts and asks for an MFA code")
	if loc := js[string](t, ctx, `location.pathname`); loc != "/" {
		t.Errorf("after the link the browser is at %s; want /", loc)
	}
	var shown []pageAccount
	if err := json.Unmarshal([]byte(js[string](t, ctx, `JSON.stringify(`+readAccounts+`)`)), &shown); err != nil {
		t.Fatal(err)
	}
	for i, a := range d.accounts {
		if i >= len(shown) || shown[i].Name != a.Name || shown[i].State == api.AccountFresh || shown[i].Badge == "" {
			t.Errorf("the page shows accounts %+v; want %s at %d, not fresh before the session, with its state", shown, a.Name, i)
		}
	}
	if s := js[string](t, ctx, `document.getElementById('session').textContent`); s != "MFA code needed" {
		t.Errorf("the session line says %q; want MFA code needed", s)
	}
	screenshot(t, ctx, "dashboard-mfa.png")
	// Marks this page load: a reload would lose it.
	js[bool](t, ctx, `window.sameLoad = true`)

	// A wrong code is refused and asked for again.
	d.proxy.SetRejectMFACode("111111")
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#mfa-code"), "111111")); err != nil {
		t.Fatal(err)
	}
	clickPage(t, ctx, "#mfa-submit")
	waitPage(t, ctx, 20*time.Second, `document.getElementById('mfa-message').textContent.includes('not accepted')`,
		"the page says the wrong code was not accepted")
	if got := d.userState(); got != api.UserNeedsMFA {
		t.Errorf("after a wrong code the user is %q; want needs-mfa", got)
	}
	if n := d.proxy.Count("GetSessionToken"); n != 1 {
		t.Errorf("one wrong code made %d GetSessionToken calls; want 1", n)
	}
	if hidden := js[bool](t, ctx, `document.getElementById('mfa').hidden`); hidden {
		t.Error("after a wrong code the MFA form is gone; want it asking again")
	}

	// The right code starts the session; the page follows without a reload.
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#mfa-code"), "123456")); err != nil {
		t.Fatal(err)
	}
	clickPage(t, ctx, "#mfa-submit")
	waitPage(t, ctx, 20*time.Second, `document.getElementById('mfa').hidden && document.getElementById('session').textContent.startsWith('Session valid until')`,
		"the page shows the session after the right code")
	if got := d.userState(); got != api.UserOK {
		t.Errorf("after the right code the user is %q; want ok", got)
	}
	// Times in 24 hours, as the CLI prints them; an account none asked for
	// is "idle", as `hopd status` says.
	if line := js[string](t, ctx, `document.getElementById('session').textContent`); !regexp.MustCompile(`^Session valid until \d\d:\d\d \(`).MatchString(line) {
		t.Errorf("the session line says %q; want a 24-hour time like `hopd status`", line)
	}
	if badge := js[string](t, ctx, `document.querySelector('[data-account=staging] .badge').textContent`); !strings.EqualFold(badge, "idle") {
		t.Errorf("staging, which no client asked for, shows %q; want idle, as `hopd status` says", badge)
	}
	// Within a second of the session, not at the next retry: hopd fetches
	// the waiting accounts at once and the page hears of it.
	waitPage(t, ctx, time.Second, `document.querySelector('[data-account=production]').dataset.state === '`+string(api.AccountFresh)+`' &&
		!document.querySelector('[data-account=production] .error')`,
		"production, which a client asked for, turns fresh on the page without an error")

	// The clients that fetch credentials appear, with their process on Linux.
	prod := d.waitECS("production")
	stag := d.waitECS("staging")
	play := d.waitIMDS("playground")
	if n := d.proxy.Count("GetSessionToken"); n != 2 {
		t.Errorf("a wrong and a right code, then three accounts, made %d GetSessionToken calls; want 2: one code covers every account", n)
	}
	want := "ecs"
	if runtime.GOOS == "linux" {
		want = fmt.Sprintf("(pid %d)", os.Getpid())
	}
	waitPage(t, ctx, 10*time.Second, fmt.Sprintf(`(() => {
		const li = document.querySelector('[data-account=production] .clients li');
		return li && li.textContent.toLowerCase().includes(%q);
	})()`, want), "production's recent clients name this test process")
	waitPage(t, ctx, 10*time.Second, fmt.Sprintf(`(() => {
		const li = document.querySelector('[data-account=playground] .clients li');
		return li && li.querySelector('.endpoint').textContent === 'imds' && li.textContent.toLowerCase().includes(%q);
	})()`, want), "playground's recent clients show the IMDS endpoint and this test process")
	// The AWS CLI through a credential_process profile: the page names
	// aws, which ran `hopd creds`, not hopd creds or its address.
	if runtime.GOOS == "linux" {
		if _, err := exec.LookPath("aws"); err != nil {
			testenv.Missing(t, "the AWS CLI (pip install awscli)", err)
		}
		awsDir := filepath.Join(d.Home, ".aws")
		profile := fmt.Sprintf("[profile via-cp]\ncredential_process = %s creds staging\nregion = us-east-1\n", d.Bin)
		if err := os.MkdirAll(awsDir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(awsDir, "config"), []byte(profile), 0o600); err != nil {
			t.Fatal(err)
		}
		if r := runCmd(t, d.env(), "", "aws", "sts", "get-caller-identity", "--profile", "via-cp", "--query", "Arn", "--output", "text"); r.code != 0 || strings.TrimSpace(r.stdout) != d.assumedRoleARN(d.accounts[1]) {
			t.Fatalf("aws through credential_process: exit %d, %q %q", r.code, r.stdout, r.stderr)
		}
		waitPage(t, ctx, 10*time.Second, `(() => {
			const li = document.querySelector('[data-account=staging] .clients li');
			return li && li.querySelector('.endpoint').textContent === 'credential_process' && /^aws \(pid \d+\)$/.test(li.querySelector('.proc').textContent);
		})()`, "staging's recent clients show credential_process and the aws process")
	}
	if !js[bool](t, ctx, `window.sameLoad === true`) {
		t.Error("the page was reloaded; want it to follow the state by itself")
	}

	// Open console: the account's browser command gets a sign-in URL.
	clickPage(t, ctx, "[data-account=staging] .open-console")
	var opened []string
	eventually(t, 20*time.Second, func() string {
		if opened = o.urls(); len(opened) == 0 {
			return "the Open console button did not open staging's browser"
		}
		return ""
	})
	noSigninToken(t, f, o.seen())
	f.checkLogin(t, parseLogin(t, follow(t, opened[0])), "us-east-1", d.assumedRoleARN(d.accounts[1]))
	waitPage(t, ctx, 10*time.Second, `document.querySelector('[data-account=staging] .action-message').textContent === 'Opened in the browser.'`,
		"the page says the console was opened")

	waitPage(t, ctx, 10*time.Second, `/^console until /.test(document.querySelector('[data-account=staging] .console-ends')?.textContent || '')`,
		"the page says until when staging's console session lasts")

	// Open console at a service: the choice beside the button, and the
	// service then comes first in the list hopd offers.
	if !js[bool](t, ctx, `(() => { const s = document.querySelector('[data-account=staging] .console-service');
		s.value = 'lambda'; s.dispatchEvent(new Event('change')); return s.value === 'lambda'; })()`) {
		t.Fatal("the page offers no lambda beside staging's Open console")
	}
	clickPage(t, ctx, "[data-account=staging] .open-console")
	opened = waitOpened(t, o, 2)
	f.checkLoginTo(t, parseLogin(t, follow(t, opened[1])), "https://us-east-1.console.aws.amazon.com/lambda/home?region=us-east-1")
	waitPage(t, ctx, 10*time.Second, `document.querySelector('[data-account=production] .console-service option:nth-child(2)').value === 'lambda'`,
		"lambda comes first among the services offered after it was opened")

	// Open console of an account without a browser command: the page opens
	// it in a tab of its own, through a one-time link, and the tab signs in.
	tabs := chromedp.WaitNewTarget(ctx, func(i *target.Info) bool { return i.Type == "page" })
	clickPage(t, ctx, "[data-account=production] .open-console")
	var tab target.ID
	select {
	case tab = <-tabs:
	case <-time.After(20 * time.Second):
		t.Fatal("Open console of production opened no tab")
	}
	tctx, tcancel := chromedp.NewContext(ctx, chromedp.WithTargetID(tab))
	defer tcancel()
	waitPage(t, tctx, 20*time.Second, fmt.Sprintf(`document.title === 'Console Home' && document.getElementById('who').textContent === %q`, d.assumedRoleARN(d.accounts[0])),
		"the new tab signs in to production's console")
	waitPage(t, ctx, 10*time.Second, `document.querySelector('[data-account=production] .action-message').textContent === 'Opened in a new tab.'`,
		"the page says it opened the console in a new tab")
	if n := len(o.urls()); n != 2 {
		t.Errorf("staging's browser command ran %d times after production's console opened; want 2 (both staging's)", n)
	}

	// Re-read config.
	before := strings.Count(d.Log(), `msg="config reloaded"`)
	clickPage(t, ctx, "#reload")
	waitPage(t, ctx, 10*time.Second, `document.getElementById('flash').textContent === 'Config re-read.'`, "the page says the config was re-read")
	if after := strings.Count(d.Log(), `msg="config reloaded"`); after != before+1 {
		t.Errorf("the log says %d reloads after the button, %d before; want one more", after, before)
	}
	screenshot(t, ctx, "dashboard.png")

	// No secret is anywhere in the page or its JSON.
	page := js[string](t, ctx, `document.documentElement.outerHTML`)
	status := js[string](t, ctx, `fetch('/api/status').then(r => r.text())`)
	for _, secret := range []string{iamKeyID, iamSecret, prod.AccessKeyID, prod.SecretAccessKey, prod.Token, stag.SecretAccessKey, stag.Token, play.SecretAccessKey, d.Token()} {
		if strings.Contains(page, secret) || strings.Contains(status, secret) {
			t.Errorf("the page or /api/status holds a secret (%.6s...)", secret)
		}
	}
	if strings.Contains(d.Log(), "111111") || strings.Contains(d.Log(), "123456") {
		t.Error("hopd's log holds an MFA code")
	}
	if n := notes.count(d.user); n != 1 {
		t.Errorf("%d desktop notifications asked for %s's code; want 1: once per time a code is needed", n, d.user)
	}

	// A restart ends the page's session, and the page says so; within the
	// MFA session's lifetime the new daemon asks for no code.
	sessions := d.proxy.Count("GetSessionToken")
	d.stop()
	d.start()
	waitPage(t, ctx, 20*time.Second, `document.getElementById('problem').textContent.includes('session has ended')`,
		"the open page says its session ended when hopd restarted")
	fresh := strings.TrimSpace(d.mustRun("dashboard", "--print"))
	if err := chromedp.Do(ctx, chromedp.Navigate(fresh)); err != nil {
		t.Fatal(err)
	}
	waitPage(t, ctx, 15*time.Second, `location.pathname === '/' && document.getElementById('session').textContent.startsWith('Session valid until') && document.getElementById('mfa').hidden`,
		"after the restart a new link opens the page, and no MFA code is asked for")
	if n := d.proxy.Count("GetSessionToken") - sessions; n != 0 {
		t.Errorf("after a restart hopd called GetSessionToken %d times; want 0: the session is cached in the keychain", n)
	}

	// The one-time link does not work twice.
	again, err := chromedp.Run(ctx, chromedp.NavigateResponse(link))
	if err != nil || again.Status != http.StatusForbidden {
		t.Errorf("opening the used link again: %v (status %v); want 403", err, again)
	}
	if text := js[string](t, ctx, `document.body.innerText`); !strings.Contains(text, "has been used") {
		t.Errorf("opening the used link again shows %q; want it to say the link has been used", text)
	}
}

// notifications is a desktop's notification server on the private session
// bus: it records what hopd asks it to show.
type notifications struct {
	mu     sync.Mutex
	bodies []string
}

func (n *notifications) GetCapabilities() ([]string, *dbus.Error) {
	return []string{"body", "actions"}, nil
}

func (n *notifications) Notify(app string, replaces uint32, icon, summary, body string, actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.bodies = append(n.bodies, summary+"\n"+body)
	return uint32(len(n.bodies)), nil
}

func (n *notifications) CloseNotification(uint32) *dbus.Error { return nil }

// count is how many notifications mentioned user.
func (n *notifications) count(user string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, b := range n.bodies {
		if strings.Contains(b, " "+user+" ") {
			c++
		}
	}
	return c
}

// ownNotifications becomes the notification server of the bus in env.
func ownNotifications(t *testing.T, env []string) *notifications {
	t.Helper()
	var addr string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "DBUS_SESSION_BUS_ADDRESS="); ok {
			addr = v
		}
	}
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connecting to the private session bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	n := &notifications{}
	const name, path = "org.freedesktop.Notifications", "/org/freedesktop/Notifications"
	if err := conn.Export(n, path, name); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("cannot own %s on the private bus (reply %v): %v", name, reply, err)
	}
	return n
}
