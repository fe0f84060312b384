package daemon_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/daemon"
	"github.com/hopd/hopd/internal/discover"
	"github.com/hopd/hopd/internal/testenv"
	"github.com/hopd/hopd/internal/tray"
)

const ssoOnly = `listen = "{listen}"

[[sso]]
name = "acme"
start_url = "https://acme.awsapps.com/start"
region = "eu-west-1"
roles = ["ReadOnlyAccess"]
`

func ssoState(t *testing.T, h *harness) api.SSOInfo {
	t.Helper()
	st, err := h.c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Daemon.SSO) != 1 {
		t.Fatalf("status lists %d [[sso]], want 1", len(st.Daemon.SSO))
	}
	return st.Daemon.SSO[0]
}

func TestSSOSignInBringsItsAccounts(t *testing.T) {
	f := &fakeSSO{accounts: []discover.SSOAccount{{ID: "555555555555", Name: "Staging EU", Roles: []string{"AdministratorAccess", "ReadOnlyAccess"}}}}
	h := start(t, ssoOnly, func(o *daemon.Options) { o.SSO = f })
	ctx := context.Background()
	if s := ssoState(t, h); s.State != api.SSONeedsSignIn || s.StartURL != "https://acme.awsapps.com/start" {
		t.Fatalf("before signing in: %+v", s)
	}
	if items := h.d.TrayState().SSO; len(items) != 1 || items[0].State != api.SSONeedsSignIn {
		t.Errorf("the tray's [[sso]] = %+v, want acme needing a sign-in", items)
	}

	login, err := h.c.SSOLogin(ctx, api.SSOLoginRequest{Name: "acme", NoBrowser: true})
	if err != nil {
		t.Fatalf("sso login: %v", err)
	}
	if login.UserCode == "" || login.Name != "acme" {
		t.Errorf("login = %+v", login)
	}
	testenv.Eventually(t, 5*time.Second, func() bool {
		_, err := h.c.Account(ctx, "staging-eu-readonlyaccess")
		return err == nil
	}, "the accounts of acme did not appear after the sign-in")
	f.mu.Lock()
	loginCtx := f.loginCtx
	f.mu.Unlock()
	if loginCtx.Err() != nil {
		t.Error("the sign-in's context ended with the request that started it; it must live as long as the daemon")
	}

	for name, role := range map[string]string{"staging-eu": "ReadOnlyAccess", "staging-eu-administratoraccess": "AdministratorAccess"} {
		c, err := h.c.Credentials(ctx, name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if c.AccessKeyID != "ASIASSO555555555555" || c.Token != "sso-token-"+role {
			t.Errorf("%s got %s/%s, want Identity Center's credentials for %s", name, c.AccessKeyID, c.Token, role)
		}
	}
	s := ssoState(t, h)
	if s.State != api.SSOSignedIn || s.Accounts != 1 || s.Roles != 2 {
		t.Errorf("after signing in: %+v, want signed in with 1 account and 2 roles", s)
	}

	// The console of an Identity Center account lasts as long as its
	// credentials (no role chain's one-hour cap): SessionDuration is sent.
	var asked url.Values
	fed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = r.URL.Query()
		io.WriteString(w, `{"SigninToken":"tok"}`)
	}))
	defer fed.Close()
	t.Setenv("HOPD_SIGNIN_URL", fed.URL)
	if err := h.d.TrayDo(ctx, tray.Action{Kind: tray.OpenConsole, Account: "staging-eu"}); err != nil {
		t.Fatalf("console: %v", err)
	}
	if d, _ := strconv.Atoi(asked.Get("SessionDuration")); d < 3000 || d > 3600 {
		t.Errorf("SessionDuration = %q, want about the hour the credentials have left", asked.Get("SessionDuration"))
	}
}

func TestSSONotifiesWhenARequestNeedsASignIn(t *testing.T) {
	f := &fakeSSO{accounts: []discover.SSOAccount{{ID: "555555555555", Name: "Staging EU", Roles: []string{"AdministratorAccess", "ReadOnlyAccess"}}}}
	h := start(t, ssoOnly, func(o *daemon.Options) { o.SSO = f })
	ctx := context.Background()
	if err := h.d.TrayDo(ctx, tray.Action{Kind: tray.SSOLogin, Account: "acme"}); err != nil {
		t.Fatalf("the tray's sign-in: %v", err)
	}
	testenv.Eventually(t, 5*time.Second, func() bool {
		_, err := h.c.Account(ctx, "staging-eu-administratoraccess")
		return err == nil
	}, "no accounts after the tray's sign-in")
	if len(h.notes.titles()) != 0 {
		t.Fatalf("notifications before any need: %q", h.notes.titles())
	}

	f.mu.Lock()
	f.signedIn["acme"] = false // the Identity Center session ended
	f.mu.Unlock()
	_, err := h.c.Credentials(ctx, "staging-eu-administratoraccess")
	if err == nil || !strings.Contains(err.Error(), "hopd sso login acme") {
		t.Fatalf("credentials after the session ended: err = %v, want one naming `hopd sso login acme`", err)
	}
	testenv.Eventually(t, 5*time.Second, func() bool { return len(h.notes.titles()) > 0 }, "no notification")
	if got := h.notes.titles(); got[0] != "hopd needs you to sign in to acme" {
		t.Errorf("notification = %q", got)
	}
	h.notes.click(0)
	f.mu.Lock()
	logins := f.logins
	f.mu.Unlock()
	if logins != 2 {
		t.Errorf("%d sign-ins started, want the tray's and the notification's", logins)
	}
	testenv.Eventually(t, 5*time.Second, func() bool {
		_, err := h.c.Credentials(ctx, "staging-eu-administratoraccess")
		return err == nil
	}, "credentials did not come back after signing in again")
}

func TestSSOLoginOfAnUnknownName(t *testing.T) {
	h := start(t, ssoOnly, func(o *daemon.Options) { o.SSO = &fakeSSO{} })
	_, err := h.c.SSOLogin(context.Background(), api.SSOLoginRequest{Name: "other"})
	if err == nil || !strings.Contains(err.Error(), `no [[sso]] named "other"`) || !strings.Contains(err.Error(), "acme") {
		t.Errorf("err = %v, want one naming the [[sso]] blocks there are", err)
	}
}
