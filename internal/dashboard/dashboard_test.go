package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/broker"
	"github.com/hopd/hopd/internal/peercred"
)

// source stands in for the broker in these handler tests: the e2e tests
// run the page against the real one.
type source struct {
	mu      sync.Mutex
	status  broker.Status
	codes   []string
	refuse  string // a code SubmitMFA refuses as STS would
	changed chan struct{}
}

func newSource() *source {
	return &source{
		status: broker.Status{
			Users:    []broker.UserStatus{{Name: "michael", State: api.UserNeedsMFA, MFA: true}},
			Accounts: []broker.AccountStatus{{Name: "production", ID: "222222222222", Role: "OrganizationAccountAccessRole", Region: "eu-west-1", Color: "#d13212", User: "michael", State: api.AccountError}},
		},
		changed: make(chan struct{}, 1),
	}
}

func (s *source) Status() broker.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

func (s *source) SubmitMFA(_ context.Context, user, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes = append(s.codes, user+":"+code)
	if code == s.refuse {
		return fmt.Errorf("%w: the MFA code for user %s was not accepted: check the code (and mfa_serial) and try again", broker.ErrNeedMFA, user)
	}
	s.status.Users[0].State = api.UserOK
	return nil
}

func (s *source) Subscribe() (<-chan struct{}, func()) { return s.changed, func() {} }

func (s *source) submitted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.codes...)
}

const host = "127.0.0.1:9911"

func newDashboard(t *testing.T, src *source, mod ...func(*Options)) *Dashboard {
	t.Helper()
	opts := Options{Source: src}
	for _, m := range mod {
		m(&opts)
	}
	d := New(opts)
	t.Cleanup(d.Close)
	return d
}

// req builds a request as the browser sends it from the page's own origin.
func req(method, path, body string) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, "http://"+host+path, rd)
	r.Host = host
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	if method == http.MethodPost {
		r.Header.Set("Origin", "http://"+host)
		r.Header.Set("Content-Type", "application/json")
	}
	return r
}

func serve(d *Dashboard, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	d.ServeHTTP(w, r)
	return w
}

// login opens a one-time link and returns the session cookie and the
// page's CSRF token.
func login(t *testing.T, d *Dashboard) (*http.Cookie, string) {
	t.Helper()
	link, err := d.NewLink("http://" + host)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	r := req("GET", u.RequestURI(), "")
	r.Header.Set("Sec-Fetch-Site", "none")
	w := serve(d, r)
	if w.Code != 200 || len(w.Result().Cookies()) != 1 {
		t.Fatalf("GET %s: %d with cookies %v; want 200 and the session cookie", u.Path, w.Code, w.Result().Cookies())
	}
	c := w.Result().Cookies()[0]
	page := req("GET", "/", "")
	page.Header.Set("Sec-Fetch-Site", "none")
	page.AddCookie(c)
	w = serve(d, page)
	m := regexp.MustCompile(`name="hopd-csrf" content="([^"]+)"`).FindStringSubmatch(w.Body.String())
	if w.Code != 200 || m == nil {
		t.Fatalf("GET / with the session: %d, no CSRF token in %s", w.Code, w.Body)
	}
	return c, m[1]
}

func TestLoginLinkWorksOnce(t *testing.T) {
	d := newDashboard(t, newSource())
	link, err := d.NewLink("http://" + host + "/")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, "http://"+host+"/login?t=") || len(link) < len("http://"+host+"/login?t=")+40 {
		t.Fatalf("NewLink = %q; want http://HOST/login?t= and a long random token", link)
	}
	u, _ := url.Parse(link)
	w := serve(d, req("GET", u.RequestURI(), ""))
	if w.Code != 200 {
		t.Fatalf("the link: %d %s", w.Code, w.Body)
	}
	c := w.Result().Cookies()[0]
	if c.Name != "hopd_session_9911" || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Value == "" {
		t.Errorf("the session cookie is %+v; want hopd_session_9911, HttpOnly, SameSite=Strict, Path=/", c)
	}
	if !strings.Contains(w.Body.String(), `http-equiv="refresh" content="0;url=/"`) {
		t.Errorf("the link answers %s; want a page that moves on to /", w.Body)
	}
	if w := serve(d, req("GET", u.RequestURI(), "")); w.Code != http.StatusForbidden || len(w.Result().Cookies()) != 0 {
		t.Errorf("the link a second time: %d with cookies %v; want 403 and no cookie", w.Code, w.Result().Cookies())
	}
	for _, bad := range []string{"/login", "/login?t=", "/login?t=" + strings.Repeat("A", 43)} {
		if w := serve(d, req("GET", bad, "")); w.Code != http.StatusForbidden {
			t.Errorf("GET %s: %d; want 403", bad, w.Code)
		}
	}
}

func TestLinksAndSessionsExpire(t *testing.T) {
	now := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)
	s := newSessions(func() time.Time { return now })
	old, _ := s.newLink()
	now = now.Add(linkTTL)
	if _, _, ok := s.redeem(old); ok {
		t.Error("a link redeemed after linkTTL worked")
	}
	tok, _ := s.newLink()
	id, sess, ok := s.redeem(tok)
	if !ok || sess.csrf == "" || sess.csrf == id {
		t.Fatalf("redeem = %q, %+v, %v; want a session with a CSRF token of its own", id, sess, ok)
	}
	now = now.Add(sessionTTL - time.Second)
	if _, ok := s.lookup(id); !ok {
		t.Error("the session ended before sessionTTL")
	}
	now = now.Add(time.Second)
	if _, ok := s.lookup(id); ok {
		t.Error("the session outlived sessionTTL")
	}

	for range maxLinks {
		if _, err := s.newLink(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.newLink(); !errors.Is(err, errTooManyLinks) {
		t.Errorf("link %d: %v; want errTooManyLinks", maxLinks+1, err)
	}
	now = now.Add(linkTTL)
	if _, err := s.newLink(); err != nil {
		t.Errorf("a link after the old ones expired: %v", err)
	}

	// At the cap, a new session pushes out the oldest one.
	var ids []string
	for i := range maxSessions + 1 {
		now = now.Add(time.Second)
		tok, _ := s.newLink()
		id, _, ok := s.redeem(tok)
		if !ok {
			t.Fatalf("session %d not started", i)
		}
		ids = append(ids, id)
	}
	if _, ok := s.lookup(ids[0]); ok {
		t.Error("the oldest session survived the cap")
	}
	if _, ok := s.lookup(ids[len(ids)-1]); !ok {
		t.Error("the newest session is gone")
	}
}

// Every request that does not come from the page's own origin with its
// session, and every state change without the CSRF token, is refused;
// none of them reaches the broker.
func TestRefusals(t *testing.T) {
	src := newSource()
	d := newDashboard(t, src)
	cookie, csrf := login(t, d)
	withSession := func(r *http.Request) *http.Request { r.AddCookie(cookie); return r }
	mfa := `{"user":"michael","code":"123456"}`
	tests := []struct {
		name string
		r    *http.Request
		edit func(*http.Request)
		want int
	}{
		{"page without a session", req("GET", "/", ""), nil, 401},
		{"status without a session", req("GET", "/api/status", ""), nil, 401},
		{"mfa without a session", req("POST", "/api/mfa", mfa), func(r *http.Request) { r.Header.Set(csrfHeader, csrf) }, 401},
		{"status from another port (same site)", withSession(req("GET", "/api/status", "")), func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "same-site") }, 403},
		{"status from another site", withSession(req("GET", "/api/status", "")), func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }, 403},
		{"status typed in the address bar", withSession(req("GET", "/api/status", "")), func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "none") }, 403},
		{"status with a foreign Origin", withSession(req("GET", "/api/status", "")), func(r *http.Request) {
			r.Header.Del("Sec-Fetch-Site")
			r.Header.Set("Origin", "http://127.0.0.1:8000")
		}, 403},
		{"mfa without the CSRF token", withSession(req("POST", "/api/mfa", mfa)), nil, 403},
		{"mfa with a wrong CSRF token", withSession(req("POST", "/api/mfa", mfa)), func(r *http.Request) { r.Header.Set(csrfHeader, csrf[:len(csrf)-1]+"x") }, 403},
		{"mfa from a form", withSession(req("POST", "/api/mfa", "code=123456")), func(r *http.Request) {
			r.Header.Set(csrfHeader, csrf)
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}, 403},
		{"mfa without Origin", withSession(req("POST", "/api/mfa", mfa)), func(r *http.Request) {
			r.Header.Set(csrfHeader, csrf)
			r.Header.Del("Origin")
			r.Header.Del("Sec-Fetch-Site")
		}, 403},
		{"mfa from another port", withSession(req("POST", "/api/mfa", mfa)), func(r *http.Request) {
			r.Header.Set(csrfHeader, csrf)
			r.Header.Set("Origin", "http://127.0.0.1:8000")
			r.Header.Set("Sec-Fetch-Site", "same-site")
		}, 403},
		{"reload without the CSRF token", withSession(req("POST", "/api/reload", "{}")), nil, 403},
		{"console without the CSRF token", withSession(req("POST", "/api/console", `{"account":"production"}`)), nil, 403},
		{"preflight", withSession(req("OPTIONS", "/api/mfa", "")), func(r *http.Request) {
			r.Header.Set("Access-Control-Request-Method", "POST")
			r.Header.Set("Origin", "http://127.0.0.1:8000")
			r.Header.Set("Sec-Fetch-Site", "same-site")
		}, 403},
		{"PUT", withSession(req("PUT", "/api/mfa", mfa)), nil, 405},
		{"no such path", withSession(req("GET", "/etc/passwd", "")), nil, 404},
		{"no such asset", req("GET", "/assets/index.html", ""), nil, 404},
		{"asset for another site", req("GET", "/assets/app.js", ""), func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.edit != nil {
				tt.edit(tt.r)
			}
			w := serve(d, tt.r)
			if w.Code != tt.want {
				t.Fatalf("%s %s: %d %s; want %d", tt.r.Method, tt.r.URL.Path, w.Code, w.Body, tt.want)
			}
			checkHeaders(t, w)
			if w.Header().Get("Content-Type") == "application/json" {
				var e struct{ Code, Message string }
				if json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Code == "" || e.Message == "" {
					t.Errorf("error body %s; want {code, message}", w.Body)
				}
			}
		})
	}
	if got := src.submitted(); len(got) != 0 {
		t.Errorf("refused requests reached the broker with MFA codes: %v", got)
	}
}

// checkHeaders: every answer forbids framing, sniffing, caching, referrers
// and loads by other origins, and allows no CORS.
func checkHeaders(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	h := w.Header()
	for k, want := range map[string]string{
		"X-Frame-Options":              "DENY",
		"X-Content-Type-Options":       "nosniff",
		"Referrer-Policy":              "no-referrer",
		"Cache-Control":                "no-store",
		"Cross-Origin-Resource-Policy": "same-origin",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q; want %q", k, got, want)
		}
	}
	csp := h.Get("Content-Security-Policy")
	for _, part := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, part) {
			t.Errorf("Content-Security-Policy %q lacks %s", csp, part)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("Content-Security-Policy %q allows something unsafe", csp)
	}
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Errorf("the answer carries the CORS header %s", k)
		}
	}
}

func TestActions(t *testing.T) {
	src := newSource()
	src.refuse = "111111"
	var consoles []string
	reloadErr := error(nil)
	d := newDashboard(t, src, func(o *Options) {
		o.OpenConsole = func(_ context.Context, account, service string) (string, error) {
			if account == "nosuch" {
				return "", fmt.Errorf("%w %q: see `hopd accounts`", broker.ErrUnknownAccount, account)
			}
			consoles = append(consoles, strings.TrimSuffix(account+" "+service, " "))
			if account == "staging" {
				return "http://127.0.0.1:1/console/one-time", nil // the page opens it
			}
			return "", nil
		}
		o.Reload = func(context.Context) error { return reloadErr }
		o.EnvLines = func(account string) (string, error) {
			if account != "production" {
				return "", fmt.Errorf("no account named %q any more: the config changed", account)
			}
			return "export HOPD_ACCOUNT=production\n", nil
		}
		o.SSOLogin = func(_ context.Context, name string) (api.SSOLogin, error) {
			if name != "acme" {
				return api.SSOLogin{}, fmt.Errorf("no [[sso]] named %q in the config", name)
			}
			return api.SSOLogin{Name: name, URL: "https://device.example/", UserCode: "ABCD-EFGH"}, nil
		}
	})
	cookie, csrf := login(t, d)
	post := func(path, body string) *httptest.ResponseRecorder {
		r := req("POST", path, body)
		r.AddCookie(cookie)
		r.Header.Set(csrfHeader, csrf)
		w := serve(d, r)
		checkHeaders(t, w)
		return w
	}
	message := func(w *httptest.ResponseRecorder) string {
		var e struct{ Message string }
		_ = json.Unmarshal(w.Body.Bytes(), &e)
		return e.Message
	}

	if w := post("/api/mfa", `{"user":"michael","code":"12345"}`); w.Code != 400 || !strings.Contains(message(w), "6 digits") {
		t.Errorf("a 5-digit code: %d %s; want 400 saying a code is 6 digits", w.Code, w.Body)
	}
	w := post("/api/mfa", `{"user":"michael","code":"111111"}`)
	if w.Code != 400 || !strings.Contains(message(w), "was not accepted") || strings.Contains(w.Body.String(), "111111") {
		t.Errorf("a wrong code: %d %s; want 400 saying it was not accepted, without the code", w.Code, w.Body)
	}
	w = post("/api/mfa", `{"code":"123456"}`) // no user: the one waiting
	var v view
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &v) != nil || len(v.Users) != 1 || v.Users[0].State != api.UserOK || v.Users[0].NeedsCode {
		t.Errorf("the right code: %d %s; want 200 with the new state", w.Code, w.Body)
	}
	if got := src.submitted(); strings.Join(got, ",") != "michael:111111,michael:123456" {
		t.Errorf("the broker got %v; want the wrong and the right code for michael", got)
	}

	if w := post("/api/console", `{"account":"production"}`); w.Code != 204 || len(consoles) != 1 || consoles[0] != "production" {
		t.Errorf("Open console: %d %s, opened %v; want 204 and production opened", w.Code, w.Body, consoles)
	}
	if w := post("/api/console", `{"account":"production","service":"ddb"}`); w.Code != 204 || len(consoles) != 2 || consoles[1] != "production ddb" {
		t.Errorf("Open console at ddb: %d %s, opened %v; want 204 and production's ddb opened", w.Code, w.Body, consoles)
	}
	if w := post("/api/console", `{"account":"staging"}`); w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"open":"http://127.0.0.1:1/console/one-time"}` {
		t.Errorf("Open console of an account the page opens: %d %q; want 200 with the one-time link", w.Code, w.Body)
	}
	if w := post("/api/console", `{"account":"production","service":"../x"}`); w.Code != 400 {
		t.Errorf("Open console at ../x: %d; want 400", w.Code)
	}
	if w := post("/api/console", `{"account":"nosuch"}`); w.Code != 404 {
		t.Errorf("Open console of an unknown account: %d %s; want 404", w.Code, w.Body)
	}
	if w := post("/api/console", `{"account":"../x"}`); w.Code != 400 {
		t.Errorf("Open console of a bad name: %d; want 400", w.Code)
	}
	if w := post("/api/env", `{"account":"production"}`); w.Code != 200 || !strings.Contains(w.Body.String(), `"text":"export HOPD_ACCOUNT=production\n"`) {
		t.Errorf("env lines: %d %s; want 200 with the lines", w.Code, w.Body)
	}
	if w := post("/api/env", `{"account":"gone"}`); w.Code != 404 || !strings.Contains(message(w), "gone") {
		t.Errorf("env lines of an unknown account: %d %s; want 404 naming it", w.Code, w.Body)
	}
	if w := post("/api/sso/login", `{"name":"acme"}`); w.Code != 200 || !strings.Contains(w.Body.String(), `"user_code":"ABCD-EFGH"`) {
		t.Errorf("sso login: %d %s; want 200 with the device code", w.Code, w.Body)
	}
	if w := post("/api/sso/login", `{"name":"other"}`); w.Code != 400 || !strings.Contains(message(w), "other") {
		t.Errorf("sso login of an unknown [[sso]]: %d %s; want 400 naming it", w.Code, w.Body)
	}
	if w := post("/api/sso/login", `{"name":"../x"}`); w.Code != 400 {
		t.Errorf("sso login with a bad name: %d; want 400", w.Code)
	}
	if w := post("/api/reload", `{}`); w.Code != 200 {
		t.Errorf("reload: %d %s; want 200", w.Code, w.Body)
	}
	reloadErr = errors.New("config.toml:3:1: unknown key \"colour\"")
	if w := post("/api/reload", `{}`); w.Code != 400 || !strings.Contains(message(w), "colour") {
		t.Errorf("reload of a bad config: %d %s; want 400 saying what is wrong", w.Code, w.Body)
	}
}

func TestStatusAndEvents(t *testing.T) {
	src := newSource()
	d := newDashboard(t, src, func(o *Options) {
		o.Info = func() Info { return Info{Version: "1.2.3", ConfigError: "line 3: bad"} }
	})
	cookie, _ := login(t, d)
	d.Record("production", "ecs", peercred.Conn{Remote: netip.MustParseAddrPort("127.0.0.1:50000"), Local: netip.MustParseAddrPort(host)}, 0)

	r := req("GET", "/api/status", "")
	r.AddCookie(cookie)
	w := serve(d, r)
	var v view
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil || w.Code != 200 {
		t.Fatalf("GET /api/status: %d %s (%v)", w.Code, w.Body, err)
	}
	if v.Version != "1.2.3" || v.ConfigError != "line 3: bad" || len(v.Users) != 1 || !v.Users[0].NeedsCode {
		t.Errorf("status = %+v; want the version, the config error and a user who needs a code", v)
	}
	if len(v.Accounts) != 1 || !v.Accounts[0].WaitingForMFA || len(v.Accounts[0].Clients) != 1 || v.Accounts[0].Clients[0].Endpoint != "ecs" {
		t.Errorf("accounts = %+v; want production waiting for MFA, with its client", v.Accounts)
	}

	// The event stream: the state at once, again when the broker changes,
	// and the end when the dashboard closes.
	// hopd's server has read and write timeouts meant for short answers;
	// the stream must outlive them.
	srv := httptest.NewUnstartedServer(d)
	srv.Config.ReadTimeout = 200 * time.Millisecond
	srv.Config.WriteTimeout = 200 * time.Millisecond
	srv.Start()
	defer srv.Close()
	er, _ := http.NewRequest("GET", srv.URL+"/api/events", nil)
	er.Host = host
	er.Header.Set("Sec-Fetch-Site", "same-origin")
	er.AddCookie(cookie)
	resp, err := http.DefaultClient.Do(er)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("GET /api/events: %d %s", resp.StatusCode, ct)
	}
	events := make(chan string, 10)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				events <- data
			}
		}
	}()
	// waitEvent reads events until one holds want.
	waitEvent := func(want, what string) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case e, ok := <-events:
				if !ok {
					t.Fatalf("the event stream ended before %s", what)
				}
				if strings.Contains(e, want) {
					return
				}
			case <-deadline:
				t.Fatalf("no event with %s within 5s", what)
			}
		}
	}
	waitEvent(`"needs-mfa"`, "the state")
	time.Sleep(600 * time.Millisecond) // past both timeouts
	src.mu.Lock()
	src.status.Users[0].State = api.UserOK
	src.mu.Unlock()
	src.changed <- struct{}{}
	waitEvent(`"state":"ok"`, "the new state after a change")
	d.Close()
	select {
	case _, ok := <-events:
		for ok {
			_, ok = <-events
		}
	case <-time.After(5 * time.Second):
		t.Error("the event stream did not end within 5s of Close")
	}
}

func TestRecentClients(t *testing.T) {
	now := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)
	c := newClients(func() time.Time { return now })
	var looked []peercred.Conn
	c.find = func(conns []peercred.Conn) map[peercred.Conn]peercred.Process {
		looked = append(looked, conns...)
		return map[peercred.Conn]peercred.Process{conns[0]: {PID: 42, Name: "aws"}}
	}
	peer := func(port uint16) peercred.Conn {
		return peercred.Conn{Remote: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port), Local: netip.MustParseAddrPort(host)}
	}
	c.record("production", "ecs", peer(1), 0)
	c.lookUp()
	for range 3 { // one connection, more requests: still one client
		now = now.Add(time.Second)
		c.record("production", "ecs", peer(1), 0)
	}
	c.lookUp()
	if len(looked) != 1 {
		t.Errorf("the process of one connection was looked up %d times; want once", len(looked))
	}
	got := c.recent("production")
	if len(got) != 1 || got[0].Requests != 4 || got[0].PID != 42 || got[0].Process != "aws" || !got[0].Time.Equal(now) {
		t.Fatalf("recent = %+v; want one client, aws (pid 42), 4 requests, the last just now", got)
	}
	for port := uint16(2); port <= 8; port++ {
		now = now.Add(time.Second)
		c.record("production", "imds", peer(port), 0)
	}
	got = c.recent("production")
	if len(got) != keepClients || got[0].Remote != "127.0.0.1:8" || got[keepClients-1].Remote != "127.0.0.1:4" {
		t.Errorf("after 8 connections recent = %+v; want the newest %d, newest first", got, keepClients)
	}
	now = now.Add(time.Second)
	c.record("production", "imds", peer(5), 0) // an older client comes back to the front
	if got = c.recent("production"); got[0].Remote != "127.0.0.1:5" || got[0].Requests != 2 || len(got) != keepClients {
		t.Errorf("recent = %+v; want 127.0.0.1:5 first with 2 requests", got)
	}
	c.forget(map[string]bool{})
	if got := c.recent("production"); len(got) != 0 {
		t.Errorf("after forget recent = %+v; want none", got)
	}
}

// Record is on the credentials hot path: it must cost next to nothing.
func BenchmarkRecord(b *testing.B) {
	c := newClients(time.Now)
	p := peercred.Conn{Remote: netip.MustParseAddrPort("127.0.0.1:50000"), Local: netip.MustParseAddrPort(host)}
	c.record("production", "ecs", p, 0)
	b.ReportAllocs()
	for b.Loop() {
		c.record("production", "ecs", p, 0)
	}
}

// TestTossedCookieKeepsTheSession: a page on another 127.0.0.1 port can set
// a cookie of the session's name with a longer path, which the browser then
// sends before the real one. The session must survive it.
func TestTossedCookieKeepsTheSession(t *testing.T) {
	d := newDashboard(t, newSource())
	real, _ := login(t, d)
	r := req("GET", "/api/status", "")
	r.Header.Set("Cookie", real.Name+"=planted-by-another-page; "+real.Name+"="+real.Value)
	if w := serve(d, r); w.Code != 200 {
		t.Errorf("with a tossed cookie first: %d %s; want the session to hold", w.Code, w.Body)
	}
	r = req("GET", "/api/status", "")
	r.Header.Set("Cookie", real.Name+"=planted-by-another-page")
	if w := serve(d, r); w.Code != 401 {
		t.Errorf("with only a planted cookie: %d; want 401", w.Code)
	}
}
