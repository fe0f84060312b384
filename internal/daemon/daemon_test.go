package daemon_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/client"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/console"
	"github.com/hopd/hopd/internal/daemon"
	"github.com/hopd/hopd/internal/sdkenv"
	"github.com/hopd/hopd/internal/server"
	"github.com/hopd/hopd/internal/testenv"
	"github.com/hopd/hopd/internal/tray"
)

// harness is one daemon on a free port with fakes at its seams, and a
// real client talking to it the way the CLI does.
type harness struct {
	d        *daemon.Daemon
	c        *client.Client
	path     string // the config file
	stateDir string
	sts      *fakeSTS
	keys     *fakeKeychain
	notes    *fakeNotifier

	mu     sync.Mutex
	opened []string // URLs given to the browser
	copied []string // texts put on the clipboard
}

func (h *harness) lastOpened() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.opened) == 0 {
		return ""
	}
	return h.opened[len(h.opened)-1]
}

// start runs a daemon for the config text; "{listen}" in it becomes a
// free loopback address.
func start(t *testing.T, text string, tweak func(*daemon.Options)) *harness {
	t.Helper()
	dir := t.TempDir()
	h := &harness{
		path: filepath.Join(dir, "config.toml"), stateDir: filepath.Join(dir, "state"),
		sts: &fakeSTS{}, keys: newFakeKeychain("michael"), notes: &fakeNotifier{},
	}
	text = strings.ReplaceAll(text, "{listen}", "127.0.0.1:"+itoa(testenv.FreePort(t)))
	writeConfig(t, h.path, text)
	cfg, err := config.Load(h.path)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	token, err := server.LoadOrCreateToken(h.stateDir)
	if err != nil {
		t.Fatal(err)
	}
	opts := daemon.Options{
		ConfigPath: h.path, Config: cfg, StateDir: h.stateDir, Version: "test", Token: token,
		Keys: h.keys, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Tray: tray.NoHost,
		STS: h.sts.factory(), Notifier: h.notes, NoPeerCheck: true,
		Open: func(_ context.Context, url, _ string) error {
			h.mu.Lock()
			h.opened = append(h.opened, url)
			h.mu.Unlock()
			return nil
		},
		Copy: func(_ context.Context, text string) error {
			h.mu.Lock()
			h.copied = append(h.copied, text)
			h.mu.Unlock()
			return nil
		},
	}
	if tweak != nil {
		tweak(&opts)
	}
	h.d, err = daemon.New(opts)
	if err != nil {
		t.Fatalf("daemon.New: %v", err)
	}
	if err := h.d.Listen(); err != nil {
		t.Fatalf("Listen: %v", err)
	}
	data, _ := json.Marshal(api.Daemon{PID: os.Getpid(), Listen: h.d.Addr()})
	if err := os.WriteFile(api.StateDir(h.stateDir).DaemonFile(), data, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return 10s after its context ended")
		}
	})
	if h.c, err = client.New(h.stateDir); err != nil {
		t.Fatal(err)
	}
	return h
}

func writeConfig(t *testing.T, path, text string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

const twoAccounts = `listen = "{listen}"

[user]
name = "michael"

[[account]]
name = "production"
id = "222222222222"
region = "eu-west-1"

[[account]]
name = "staging"
id = "333333333333"
`

func TestListenBindsBeforeRun(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	writeConfig(t, path, strings.ReplaceAll(twoAccounts, "{listen}", "127.0.0.1:"+itoa(testenv.FreePort(t))))
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := daemon.New(daemon.Options{ConfigPath: path, Config: cfg, StateDir: dir, Token: "t", Keys: newFakeKeychain("michael"), STS: (&fakeSTS{}).factory(), NoPeerCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.Addr() != "" {
		t.Errorf("Addr before Listen = %q, want none", d.Addr())
	}
	if err := d.Listen(); err != nil {
		t.Fatal(err)
	}
	// Bound, not yet served: a client's connection is accepted by the
	// kernel and answered once Run serves, so hopd can publish daemon.json
	// without polling its own port.
	conn, err := net.DialTimeout("tcp", d.Addr(), time.Second)
	if err != nil {
		t.Fatalf("dialing %s after Listen: %v", d.Addr(), err)
	}
	conn.Close()

	// A second daemon on the same address fails in Listen, with the address.
	d2, _ := daemon.New(daemon.Options{ConfigPath: path, Config: cfg, StateDir: t.TempDir(), Token: "t", Keys: newFakeKeychain("michael"), NoPeerCheck: true})
	if err := d2.Listen(); err == nil || !strings.Contains(err.Error(), cfg.Listen) {
		t.Errorf("second Listen on %s: err = %v, want one naming the address", cfg.Listen, err)
	}
}

func TestServesAccountsOfTheConfig(t *testing.T) {
	h := start(t, twoAccounts, nil)
	ctx := context.Background()
	creds, err := h.c.Credentials(ctx, "production")
	if err != nil {
		t.Fatalf("credentials: %v", err)
	}
	if creds.AccessKeyID != "ASIA222222222222" {
		t.Errorf("production's key = %q, want the role's in 222222222222", creds.AccessKeyID)
	}
	st, err := h.c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Daemon.Listen == "" || st.Daemon.ConfigPath != h.path || st.Daemon.StateDir != h.stateDir {
		t.Errorf("status daemon = %+v", st.Daemon)
	}
	if got := len(st.Broker.Accounts); got != 2 {
		t.Errorf("%d accounts in status, want 2", got)
	}
}

func TestReloadKeepsTheLastGoodConfig(t *testing.T) {
	h := start(t, twoAccounts, nil)
	ctx := context.Background()
	listen := h.d.Addr()

	writeConfig(t, h.path, "listen = \""+listen+"\"\n[user]\nname = \"michael\"\n[[account]]\nname = \"Bad Name\"\nid = \"1\"\n")
	err := h.c.Reload(ctx)
	if err == nil {
		t.Fatal("reload of a bad config succeeded")
	}
	st, _ := h.c.Status(ctx)
	if st.Daemon.ConfigError == "" || len(st.Broker.Accounts) != 2 {
		t.Errorf("after a bad reload: config error %q, %d accounts; want the error shown and both accounts kept", st.Daemon.ConfigError, len(st.Broker.Accounts))
	}
	if !strings.Contains(h.d.TrayState().ConfigError, "name") {
		t.Errorf("the tray's config error = %q, want the bad field named", h.d.TrayState().ConfigError)
	}

	writeConfig(t, h.path, strings.ReplaceAll(twoAccounts, "{listen}", listen)+"\n[[account]]\nname = \"sandbox\"\nid = \"444444444444\"\n")
	if err := h.c.Reload(ctx); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if _, err := h.c.Account(ctx, "sandbox"); err != nil {
		t.Errorf("sandbox after reload: %v", err)
	}
	st, _ = h.c.Status(ctx)
	if st.Daemon.ConfigError != "" {
		t.Errorf("config error after a good reload = %q, want none", st.Daemon.ConfigError)
	}
}

// TestEnvLinesAreTheCLIs pins issue 10's bug: the tray's copy lacked
// AWS_SHARED_CREDENTIALS_FILE=/dev/null, so a [default] profile won.
func TestEnvLinesAreTheCLIs(t *testing.T) {
	h := start(t, twoAccounts, nil)
	ctx := context.Background()
	a, err := h.c.Account(ctx, "production")
	if err != nil {
		t.Fatal(err)
	}
	cli, err := sdkenv.EnvLines(sdkenv.Account{Name: a.Name, Region: a.Region, IMDSPort: a.IMDSPort, Listen: h.c.Listen, StateDir: h.c.StateDir}, sdkenv.ECS)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.d.TrayDo(ctx, tray.Action{Kind: tray.CopyEnv, Account: "production"}); err != nil {
		t.Fatalf("copy env lines: %v", err)
	}
	h.mu.Lock()
	copied := strings.Join(h.copied, "")
	h.mu.Unlock()
	if copied != cli {
		t.Errorf("the tray copied\n%s\n`hopd env` prints\n%s", copied, cli)
	}
	for _, want := range []string{"export AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull, "export AWS_REGION=eu-west-1", "/creds/production", api.StateDir(h.stateDir).TokenFile()} {
		if !strings.Contains(copied, want) {
			t.Errorf("the tray's env lines lack %q:\n%s", want, copied)
		}
	}
	if page, _ := h.d.EnvLines("production"); page != cli {
		t.Errorf("the page's env lines differ from `hopd env`:\n%s", page)
	}
	if err := h.d.TrayDo(ctx, tray.Action{Kind: tray.CopyEnv, Account: "gone"}); err == nil || !strings.Contains(err.Error(), "gone") {
		t.Errorf("copying the lines of an unknown account: err = %v", err)
	}
}

func TestCredentialProcessLineNamesTheStateDir(t *testing.T) {
	h := start(t, twoAccounts, nil)
	if err := h.d.TrayDo(context.Background(), tray.Action{Kind: tray.CopyCredentialProcess, Account: "staging"}); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	line := h.copied[0]
	h.mu.Unlock()
	self, _ := sdkenv.Self()
	def, _ := config.DefaultStateDir()
	cmd, _ := sdkenv.CredsCommand(self, h.stateDir, def)
	if want := sdkenv.CredentialProcessLine(cmd, "staging"); line != want {
		t.Errorf("tray line = %q, want `hopd profiles write`'s %q", line, want)
	}
	if !strings.Contains(line, "--state-dir "+h.stateDir+" creds staging") {
		t.Errorf("line %q does not name the state directory", line)
	}
}

func TestConsoleOpensTheSignInLink(t *testing.T) {
	var sessions []string
	var mu sync.Mutex
	fed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("Action") != "getSigninToken" {
			http.Error(w, "unexpected", http.StatusBadRequest)
			return
		}
		mu.Lock()
		sessions = append(sessions, r.URL.Query().Get("Session"))
		if r.URL.Query().Has("SessionDuration") {
			sessions = append(sessions, "SessionDuration for role-chained credentials, which AWS refuses")
		}
		mu.Unlock()
		io.WriteString(w, `{"SigninToken":"tok-123"}`)
	}))
	defer fed.Close()
	t.Setenv("HOPD_SIGNIN_URL", fed.URL+"/federation")
	h := start(t, twoAccounts, nil)
	if err := h.d.TrayDo(context.Background(), tray.Action{Kind: tray.OpenConsole, Account: "production"}); err != nil {
		t.Fatalf("open console: %v", err)
	}
	// The browser gets a one-time loopback link, never the token itself.
	link := h.lastOpened()
	if !strings.HasPrefix(link, "http://127.0.0.1:") || strings.Contains(link, "tok-123") {
		t.Fatalf("opened %q, want a one-time link on hopd's listener without the sign-in token", link)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	u := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(u, fed.URL+"/federation?Action=login") || !strings.Contains(u, "SigninToken=tok-123") || !strings.Contains(u, "eu-west-1") {
		t.Errorf("the one-time link answered %s to %q, want a redirect to the login link with the token, in production's region", resp.Status, u)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sessions) != 1 || !strings.Contains(sessions[0], "ASIA222222222222") {
		t.Errorf("federation got sessions %q, want production's role credentials once", sessions)
	}
}

func TestDashboardLinkOpensOnce(t *testing.T) {
	h := start(t, twoAccounts, nil)
	if err := h.d.TrayDo(context.Background(), tray.Action{Kind: tray.OpenDashboard}); err != nil {
		t.Fatal(err)
	}
	u := h.lastOpened()
	if !strings.HasPrefix(u, "http://"+h.d.Addr()+"/") {
		t.Fatalf("opened %q, want a link on %s", u, h.d.Addr())
	}
	jar := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	first, err := jar.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	first.Body.Close()
	second, err := jar.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	second.Body.Close()
	if first.StatusCode >= 400 || second.StatusCode < 400 {
		t.Errorf("the one-time link answered %d then %d; want it good once only", first.StatusCode, second.StatusCode)
	}
}

func TestMFANotificationOncePerWait(t *testing.T) {
	h := start(t, strings.Replace(twoAccounts, "name = \"michael\"\n", "name = \"michael\"\nmfa_serial = \"arn:aws:iam::111111111111:mfa/michael\"\n", 1), nil)
	ctx := context.Background()
	for range 3 {
		rctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		_, _ = h.c.Credentials(rctx, "production")
		cancel()
	}
	testenv.Eventually(t, 5*time.Second, func() bool { return len(h.notes.titles()) > 0 }, "no MFA notification")
	time.Sleep(200 * time.Millisecond)
	got := h.notes.titles()
	if len(got) != 1 || got[0] != "hopd needs an MFA code" {
		t.Fatalf("notifications = %q, want one MFA request for three waiting requests", got)
	}
	h.notes.click(0)
	if u := h.lastOpened(); !strings.HasPrefix(u, "http://"+h.d.Addr()+"/") {
		t.Errorf("clicking the notification opened %q, want the dashboard", u)
	}
	if err := h.c.SubmitMFA(ctx, "michael", "123456"); err != nil {
		t.Fatalf("mfa: %v", err)
	}
	if _, err := h.c.Credentials(ctx, "production"); err != nil {
		t.Errorf("credentials after the code: %v", err)
	}
}

func TestDiscoveryUpdatesReachTheStatus(t *testing.T) {
	orgs := &fakeOrgs{}
	orgs.set("222222222222", "Production", "555555555555", "Data Lake")
	h := start(t, twoAccounts+"\n[discover]\norganizations = true\n", func(o *daemon.Options) { o.Orgs = orgs.factory() })
	ctx := context.Background()
	testenv.Eventually(t, 5*time.Second, func() bool { _, err := h.c.Account(ctx, "data-lake"); return err == nil }, "the discovered account never appeared")
	st, _ := h.c.Status(ctx)
	if st.Daemon.Discovery == nil || st.Daemon.Discovery.Accounts != 2 {
		t.Errorf("discovery in status = %+v, want 2 accounts listed", st.Daemon.Discovery)
	}
	// The [[account]] with the same id keeps its name.
	if _, err := h.c.Account(ctx, "production"); err != nil {
		t.Errorf("production: %v", err)
	}
	if c, err := h.c.Credentials(ctx, "data-lake"); err != nil || c.AccessKeyID != "ASIA555555555555" {
		t.Errorf("data-lake's credentials: %+v, %v", c.AccessKeyID, err)
	}

	orgs.set("222222222222", "Production", "666666666666", "Sandbox")
	if err := h.c.Discover(ctx); err != nil {
		t.Fatalf("discover: %v", err)
	}
	testenv.Eventually(t, 5*time.Second, func() bool {
		_, errNew := h.c.Account(ctx, "sandbox")
		_, errGone := h.c.Account(ctx, "data-lake")
		return errNew == nil && errGone != nil
	}, "a new listing did not replace the accounts in force")
	names := map[string]bool{}
	for _, a := range h.d.TrayState().Accounts {
		names[a.Name] = true
	}
	if !names["sandbox"] || names["data-lake"] {
		t.Errorf("the tray has %v after the new listing", names)
	}
}

// TestNoBrowserAdvice: when no default browser opens, the dashboard's error
// points at `hopd dashboard --print` and the console's at the browser
// setting, each from the real opener with no browser on PATH.
func TestNoBrowserAdvice(t *testing.T) {
	fed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"SigninToken":"tok-123"}`)
	}))
	defer fed.Close()
	t.Setenv("HOPD_SIGNIN_URL", fed.URL+"/federation")
	t.Setenv("PATH", t.TempDir())
	t.Setenv("BROWSER", "")
	h := start(t, twoAccounts, func(o *daemon.Options) { o.Open = console.Open })
	err := h.d.TrayDo(context.Background(), tray.Action{Kind: tray.OpenDashboard})
	if err == nil || !strings.Contains(err.Error(), "hopd dashboard --print") || strings.Contains(err.Error(), "browser =") {
		t.Errorf("opening the dashboard with no browser: %v; want the advice to run `hopd dashboard --print`", err)
	}
	err = h.d.TrayDo(context.Background(), tray.Action{Kind: tray.OpenConsole, Account: "production"})
	if err == nil || !strings.Contains(err.Error(), "hopd console production --print") || !strings.Contains(err.Error(), "browser =") {
		t.Errorf("opening a console with no browser: %v; want the browser setting and `hopd console production --print`", err)
	}
}
