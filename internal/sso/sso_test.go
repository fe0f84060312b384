package sso_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/keychain"
	"github.com/hopd/hopd/internal/sso"
	"github.com/hopd/hopd/internal/testenv"
)

// The tests run the client against testenv's Identity Center stand-in,
// which speaks the wire format of sso-oidc and the portal and hands out
// moto's credentials. Only the keychain is a map here: it has tests of
// its own against gnome-keyring.

type memStore struct {
	mu    sync.Mutex
	parts map[string][]byte
}

func (m *memStore) SSO(name, part string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.parts[name+"/"+part]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("no %s for %s: %w", part, name, keychain.ErrNotFound)
}

func (m *memStore) SetSSO(name, part string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.parts[name+"/"+part] = bytes.Clone(data)
	return nil
}

func (m *memStore) DeleteSSO(name, part string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.parts, name+"/"+part)
	return nil
}

func (m *memStore) all() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	for _, v := range m.parts {
		b.Write(v)
	}
	return b.String()
}

type fixture struct {
	s     *testenv.SSO
	moto  *testenv.Moto
	c     *sso.Client
	store *memStore
	logs  *bytes.Buffer
	mu    sync.Mutex
	// opened is what the browser was given
	opened []string
}

var accounts = []testenv.SSOAccount{
	{ID: "555555555555", Name: "Staging EU", Roles: []string{"ReadOnlyAccess", "AdministratorAccess"}},
	{ID: "666666666666", Name: "Sandbox", Roles: []string{"PowerUserAccess"}},
}

// newFixture is a client for one [[sso]] "acme" at the stand-in. browser
// says whether it can open a browser: an HTTP client that follows the
// stand-in's redirect to hopd's loopback callback, as a browser would.
func newFixture(t *testing.T, as []testenv.SSOAccount, browser bool) *fixture {
	t.Helper()
	m := testenv.SharedMoto(t)
	f := &fixture{moto: m, s: testenv.StartSSO(t, m.URL, as), store: &memStore{parts: map[string][]byte{}}, logs: &bytes.Buffer{}}
	t.Setenv("AWS_ENDPOINT_URL_SSO", f.s.URL)
	t.Setenv("AWS_ENDPOINT_URL_SSO_OIDC", f.s.URL)
	opts := sso.Options{Store: f.store, Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: f.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if browser {
		opts.Open = func(u string) error {
			f.mu.Lock()
			f.opened = append(f.opened, u)
			f.mu.Unlock()
			go func() {
				resp, err := http.Get(u)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}()
			return nil
		}
	}
	f.c = sso.New(opts)
	f.c.SetConfig(acmeConfig(f.s))
	return f
}

func acmeConfig(s *testenv.SSO) *config.Config {
	return &config.Config{SSO: []config.SSO{{Name: "acme", StartURL: s.StartURL, Region: s.Region}}}
}

// newClient is a client for "acme" at s without a browser or a log.
func newClient(store sso.Store, s *testenv.SSO) *sso.Client {
	c := sso.New(sso.Options{Store: store})
	c.SetConfig(acmeConfig(s))
	return c
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// signIn runs a sign-in and waits until it is done.
func (f *fixture) signIn(t *testing.T, noBrowser bool) api.SSOLogin {
	t.Helper()
	signed := make(chan string, 1)
	f.c.OnSignIn(func(name string) {
		select {
		case signed <- name:
		default:
		}
	})
	login, err := f.c.Login(context.Background(), "acme", noBrowser)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	select {
	case name := <-signed:
		if name != "acme" {
			t.Fatalf("signed in to %q", name)
		}
	case <-time.After(30 * time.Second):
		_, _, _, lastErr := f.c.State("acme")
		t.Fatalf("no sign-in after 30s (last error %q)", lastErr)
	}
	return login
}

// whoami is the ARN STS (moto) names for credentials.
func (f *fixture) whoami(t *testing.T, c aws.Credentials) string {
	t.Helper()
	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(f.moto.URL),
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)})
	out, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	return aws.ToString(out.Arn)
}

func TestBrowserSignInWithPKCE(t *testing.T) {
	f := newFixture(t, accounts, true)
	if st, _, _, _ := f.c.State("acme"); st != api.SSONeedsSignIn {
		t.Fatalf("state before signing in = %s", st)
	}
	_, err := f.c.RoleCredentials(context.Background(), "acme", "555555555555", "ReadOnlyAccess")
	var needs *sso.NeedsSignInError
	if !errors.As(err, &needs) || err.Error() != "sign in to IAM Identity Center: `hopd sso login acme`" {
		t.Fatalf("credentials before signing in: err = %v", err)
	}
	login := f.signIn(t, false)
	if !login.Opened || login.UserCode != "" || !strings.Contains(login.URL, "code_challenge_method=S256") {
		t.Errorf("login = %+v, want the authorization page with PKCE, opened", login)
	}
	if st, _, _, _ := f.c.State("acme"); st != api.SSOSignedIn {
		t.Errorf("state after signing in = %s", st)
	}
	c, err := f.c.RoleCredentials(context.Background(), "acme", "555555555555", "ReadOnlyAccess")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.whoami(t, c), f.s.AssumedRoleARN("555555555555", "ReadOnlyAccess"); got != want {
		t.Errorf("the credentials are %s, want %s", got, want)
	}
	if !c.CanExpire || time.Until(c.Expires) < 10*time.Minute {
		t.Errorf("credentials expire at %s", c.Expires)
	}
	f.checkNoSecretsLogged(t)
}

func TestCallbackRefusesAnotherState(t *testing.T) {
	f := newFixture(t, accounts, false)
	var page string
	opts := sso.Options{Store: f.store, Open: func(u string) error { page = u; return nil }}
	c := sso.New(opts)
	c.SetConfig(&config.Config{SSO: []config.SSO{{Name: "acme", StartURL: f.s.StartURL, Region: f.s.Region}}})
	login, err := c.Login(context.Background(), "acme", false)
	if err != nil || !login.Opened {
		t.Fatalf("Login: %+v, %v", login, err)
	}
	// The redirect_uri hopd registered for this sign-in, called with
	// another state, as a forged link would.
	redirect := queryOf(t, page, "redirect_uri")
	resp, err := http.Get(redirect + "?code=forged&state=not-ours")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a callback with another state got %d, want 400", resp.StatusCode)
	}
	if st, _, l, _ := c.State("acme"); st != api.SSOSigningIn || l == nil {
		t.Errorf("after a forged callback the state is %s; want the sign-in still waiting", st)
	}
	// The real browser then finishes it.
	resp, err = http.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "You can close this tab") {
		t.Errorf("the callback page: %d %s", resp.StatusCode, body)
	}
	testenv.Eventually(t, 5*time.Second, func() bool { st, _, _, _ := c.State("acme"); return st == api.SSOSignedIn }, "not signed in after the browser came back")
	// The callback is for one use: a replay finds nobody listening.
	testenv.Eventually(t, 5*time.Second, func() bool {
		resp, err := http.Get(redirect + "?code=again&state=x")
		if err == nil {
			resp.Body.Close()
		}
		return err != nil
	}, "the callback still answers after the sign-in")
}

func TestDeviceSignInWithSlowDown(t *testing.T) {
	f := newFixture(t, accounts, true)
	f.s.SetDeviceInterval(1)
	f.s.SlowDown(1)
	f.s.SetDeviceAutoApprove(2)
	login := f.signIn(t, true)
	if login.UserCode == "" || login.Opened || !strings.Contains(login.URL, "user_code=") {
		t.Errorf("login = %+v, want a device page and code, not opened", login)
	}
	f.mu.Lock()
	opened := len(f.opened)
	f.mu.Unlock()
	if opened != 0 {
		t.Errorf("--no-browser opened the browser %d times", opened)
	}
	if _, err := f.c.RoleCredentials(context.Background(), "acme", "666666666666", "PowerUserAccess"); err != nil {
		t.Errorf("credentials after a device sign-in: %v", err)
	}
}

func TestAssignmentsOverPagesAndThrottling(t *testing.T) {
	as := testenv.SSOAccounts(23, "ReadOnlyAccess", "AdministratorAccess")
	f := newFixture(t, as, true)
	f.signIn(t, false)
	f.s.SetDefaultPageSize(5)
	f.s.Throttle("ListAccounts", 2)
	got, err := f.c.Assignments(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(as) {
		t.Fatalf("%d accounts listed, want %d", len(got), len(as))
	}
	for _, a := range got {
		if len(a.Roles) != 2 || a.Roles[0] != "AdministratorAccess" || a.Name == "" {
			t.Errorf("account %+v, want both roles, sorted, and its name", a)
		}
	}
}

func TestOneRefreshForManyCallers(t *testing.T) {
	f := newFixture(t, accounts, true)
	f.signIn(t, false)
	f.s.ExpireAccessTokens()
	f.s.Reset()
	// The client still thinks its token good: the portal's refusal makes it
	// refresh; then expiry by the clock, below.
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.c.RoleCredentials(context.Background(), "acme", "555555555555", "ReadOnlyAccess")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a caller failed: %v", err)
		}
	}
	if n := f.s.Count("CreateToken:refresh_token"); n != 1 {
		t.Errorf("%d refreshes for 50 callers, want 1", n)
	}
}

func TestRefreshBeforeExpiry(t *testing.T) {
	f := newFixture(t, accounts, true)
	f.s.SetAccessTokenTTL(4 * time.Minute) // inside the refresh lead at once
	f.signIn(t, false)
	f.s.Reset()
	for range 3 {
		if _, err := f.c.RoleCredentials(context.Background(), "acme", "555555555555", "ReadOnlyAccess"); err != nil {
			t.Fatal(err)
		}
	}
	// Every call finds the token inside the lead (the stand-in keeps
	// giving 4-minute tokens), so each refreshes; none is refused.
	if n := f.s.Count("CreateToken:refresh_token"); n != 3 {
		t.Errorf("%d refreshes for 3 calls with tokens inside the refresh lead, want 3", n)
	}
}

func TestSessionEndedNeedsSignIn(t *testing.T) {
	f := newFixture(t, accounts, true)
	f.signIn(t, false)
	f.s.EndSession()
	f.s.ExpireAccessTokens()
	start := time.Now()
	_, err := f.c.RoleCredentials(context.Background(), "acme", "555555555555", "ReadOnlyAccess")
	var needs *sso.NeedsSignInError
	if !errors.As(err, &needs) || err.Error() != "sign in to IAM Identity Center: `hopd sso login acme`" {
		t.Fatalf("after the session ended: err = %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the refusal took %s; it must be fast", d)
	}
	if st, _, _, _ := f.c.State("acme"); st != api.SSONeedsSignIn {
		t.Errorf("state = %s, want needs-sign-in", st)
	}
	if strings.Contains(f.store.all(), "access_token") {
		t.Error("the ended token is still in the store")
	}
	f.signIn(t, false)
	if _, err := f.c.RoleCredentials(context.Background(), "acme", "555555555555", "ReadOnlyAccess"); err != nil {
		t.Errorf("after signing in again: %v", err)
	}
	f.checkNoSecretsLogged(t)
}

func TestRegistrationIsKept(t *testing.T) {
	f := newFixture(t, accounts, true)
	f.s.SetDeviceInterval(1)
	f.s.SetDeviceAutoApprove(1)
	f.signIn(t, false)
	f.signIn(t, true)
	if n := f.s.Count("RegisterClient"); n != 1 {
		t.Errorf("%d registrations for two sign-ins, want 1", n)
	}
	// Identity Center forgets the registration: the next sign-in registers anew.
	f.s.ExpireClientRegistrations()
	f.signIn(t, true)
	if n := f.s.Count("RegisterClient"); n != 2 {
		t.Errorf("%d registrations after Identity Center forgot the first, want 2", n)
	}
	// A new Client (a restart) finds the token and the registration.
	c := sso.New(sso.Options{Store: f.store})
	c.SetConfig(&config.Config{SSO: []config.SSO{{Name: "acme", StartURL: f.s.StartURL, Region: f.s.Region}}})
	if st, _, _, _ := c.State("acme"); st != api.SSOSignedIn {
		t.Errorf("after a restart the state is %s, want signed-in from the store", st)
	}
	// Another start URL in the config: the token is not for it.
	c.SetConfig(&config.Config{SSO: []config.SSO{{Name: "acme", StartURL: "https://other.awsapps.com/start", Region: f.s.Region}}})
	if st, _, _, _ := c.State("acme"); st != api.SSONeedsSignIn {
		t.Errorf("with another start URL the state is %s, want needs-sign-in", st)
	}
}

func TestUnknownBlock(t *testing.T) {
	f := newFixture(t, accounts, true)
	if _, err := f.c.Login(context.Background(), "other", false); err == nil || !strings.Contains(err.Error(), `"other"`) {
		t.Errorf("Login of an unknown [[sso]]: err = %v", err)
	}
}

// checkNoSecretsLogged: no token, secret or code the stand-in issued, as
// kept in the store, reaches the log.
func (f *fixture) checkNoSecretsLogged(t *testing.T) {
	t.Helper()
	logs := f.logs.String()
	for _, marker := range []string{"aoa", "secret-", "code-", "device-"} {
		if strings.Contains(logs, marker) {
			t.Errorf("the log holds something that looks like a stand-in secret (%q):\n%s", marker, logs)
		}
	}
}

func queryOf(t *testing.T, raw, key string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get(key)
}
