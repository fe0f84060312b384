package server

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/broker"
)

func TestControlStatus(t *testing.T) {
	started := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	s := newTestServer(t, newFakeSource(), func(o *Options) {
		o.Info = func() api.DaemonInfo {
			return api.DaemonInfo{Version: "1.2.3", PID: 42, Listen: "127.0.0.1:9911", ConfigPath: "/c.toml", StateDir: "/s", Started: started}
		}
	})
	w := serve(t, s.Handler(), authed(request(t, "GET", "/v1/status", testPort, "")))
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status = %d, Content-Type %q; body %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	var got struct {
		Daemon map[string]any `json:"daemon"`
		Broker broker.Status  `json:"broker"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]any{"version": "1.2.3", "pid": 42.0, "listen": "127.0.0.1:9911", "config_path": "/c.toml", "state_dir": "/s", "started": "2026-05-01T09:00:00Z"} {
		if got.Daemon[k] != v {
			t.Errorf("daemon.%s = %v, want %v", k, got.Daemon[k], v)
		}
	}
	if _, ok := got.Daemon["config_error"]; ok {
		t.Error("config_error present without an error")
	}
	if len(got.Broker.Users) != 2 || len(got.Broker.Accounts) != 1 {
		t.Errorf("broker = %+v", got.Broker)
	}
}

func TestControlAccounts(t *testing.T) {
	src := newFakeSource()
	s := newTestServer(t, src)
	w := serve(t, s.Handler(), authed(request(t, "GET", "/v1/accounts", testPort, "")))
	var accts []broker.AccountStatus
	if err := json.Unmarshal(w.Body.Bytes(), &accts); err != nil || w.Code != 200 {
		t.Fatalf("status %d, %v; body %s", w.Code, err, w.Body)
	}
	if len(accts) != 1 || accts[0].Name != "production" {
		t.Errorf("accounts = %+v", accts)
	}
	src.status.Accounts = nil
	if w := serve(t, s.Handler(), authed(request(t, "GET", "/v1/accounts", testPort, ""))); strings.TrimSpace(w.Body.String()) != "[]" {
		t.Errorf("no accounts: body %q, want []", w.Body)
	}
}

func TestControlMFA(t *testing.T) {
	tests := []struct {
		name, body string
		mfaErr     error
		status     int
		code       string
		user       string // the user the broker should get
	}{
		{"named user", `{"user":"alice","code":"123456"}`, nil, 204, "", "alice"},
		{"default user is the one waiting", `{"code":"123456"}`, nil, 204, "", "bob"},
		{"five digits", `{"code":"12345"}`, nil, 400, "bad_mfa_code", ""},
		{"seven digits", `{"code":"1234567"}`, nil, 400, "bad_mfa_code", ""},
		{"letters", `{"code":"12345a"}`, nil, 400, "bad_mfa_code", ""},
		{"number not string", `{"code":123456}`, nil, 400, "bad_request", ""},
		{"not JSON", `code=123456`, nil, 400, "bad_request", ""},
		{"unknown field", `{"code":"123456","x":1}`, nil, 400, "bad_request", ""},
		{"empty", ``, nil, 400, "bad_request", ""},
		{"too large", `{"code":"123456","user":"` + strings.Repeat("a", 5000) + `"}`, nil, 413, "too_large", ""},
		{"broker refuses", `{"code":"654321"}`, errors.New("AWS refused the MFA code 654321: wait for the next one"), 400, "mfa_refused", "bob"},
		{"STS down", `{"code":"654321"}`, &broker.UnavailableError{Account: "bob", Reason: "STS is unreachable (code 654321)"}, 503, "unavailable", "bob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newFakeSource()
			src.mfaErr = tt.mfaErr
			s := newTestServer(t, src)
			w := serve(t, s.Handler(), authed(request(t, "POST", "/v1/mfa", testPort, tt.body)))
			if tt.status == 204 {
				if w.Code != 204 {
					t.Fatalf("status = %d; body %s", w.Code, w.Body)
				}
			} else {
				wantError(t, w, tt.status, tt.code)
				if strings.Contains(w.Body.String(), "654321") || strings.Contains(w.Body.String(), "123456") {
					t.Errorf("the answer echoes the code: %s", w.Body)
				}
			}
			if src.mfaUser != tt.user {
				t.Errorf("broker got user %q, want %q", src.mfaUser, tt.user)
			}
		})
	}
}

func TestControlReload(t *testing.T) {
	var reloadErr error
	s := newTestServer(t, newFakeSource(), func(o *Options) {
		o.Reload = func(context.Context) error { return reloadErr }
	})
	if w := serve(t, s.Handler(), authed(request(t, "POST", "/v1/reload", testPort, ""))); w.Code != 204 {
		t.Errorf("reload: status = %d; body %s", w.Code, w.Body)
	}
	reloadErr = errors.New("config.toml:3:1: unknown key \"lisen\"")
	msg := wantError(t, serve(t, s.Handler(), authed(request(t, "POST", "/v1/reload", testPort, ""))), 400, "bad_config")
	if !strings.Contains(msg, "lisen") {
		t.Errorf("message %q does not carry the config error", msg)
	}
	wantError(t, serve(t, newTestServer(t, newFakeSource()).Handler(), authed(request(t, "POST", "/v1/reload", testPort, ""))), 503, "unavailable")
}

func TestControlRouting(t *testing.T) {
	s := newTestServer(t, newFakeSource())
	tests := []struct {
		method, path string
		auth         bool
		status       int
	}{
		{"GET", "/v1/status", false, 401},
		{"POST", "/v1/mfa", false, 401},
		{"POST", "/v1/status", true, 405},
		{"GET", "/v1/mfa", true, 405},
		{"GET", "/v1/reload", true, 405},
		{"DELETE", "/v1/accounts", true, 405},
		{"GET", "/v1/nothing", true, 404},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := request(t, tt.method, tt.path, testPort, "")
			if tt.auth {
				authed(r)
			}
			wantError(t, serve(t, s.Handler(), r), tt.status, "")
		})
	}
}

// badName is an error a caller caused, which the control API answers 400.
type badName struct{ msg string }

func (e badName) Error() string    { return e.msg }
func (e badName) BadRequest() bool { return true }

func TestControlSSOLogin(t *testing.T) {
	var asked []api.SSOLoginRequest
	s := newTestServer(t, newFakeSource(), func(o *Options) {
		o.SSOLogin = func(_ context.Context, req api.SSOLoginRequest) (api.SSOLogin, error) {
			asked = append(asked, req)
			switch req.Name {
			case "", "acme":
				return api.SSOLogin{Name: "acme", URL: "https://device.example/?user_code=ABCD-EFGH", UserCode: "ABCD-EFGH"}, nil
			case "down":
				return api.SSOLogin{}, errors.New("IAM Identity Center did not answer; try again")
			}
			return api.SSOLogin{}, badName{"no [[sso]] named " + req.Name + " in the config"}
		}
	})
	w := serve(t, s.Handler(), authed(request(t, "POST", "/v1/sso/login", testPort, `{"name":"acme","no_browser":true}`)))
	var got api.SSOLogin
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != 200 || got.UserCode != "ABCD-EFGH" {
		t.Fatalf("status %d, %v; body %s", w.Code, err, w.Body)
	}
	if len(asked) != 1 || !asked[0].NoBrowser {
		t.Errorf("asked %+v, want one no-browser sign-in", asked)
	}
	// An empty body means the default [[sso]].
	if w := serve(t, s.Handler(), authed(request(t, "POST", "/v1/sso/login", testPort, ""))); w.Code != 200 {
		t.Errorf("empty body: %d %s", w.Code, w.Body)
	}
	for _, tc := range []struct {
		body, code string
		status     int
	}{
		{`{"name":"nope"}`, "bad_request", 400},
		{`{"name":"down"}`, "sso_failed", 502},
		{`{"name":"acme","extra":1}`, "bad_request", 400},
	} {
		w := serve(t, s.Handler(), authed(request(t, "POST", "/v1/sso/login", testPort, tc.body)))
		wantError(t, w, tc.status, tc.code)
	}
	wantError(t, serve(t, s.Handler(), authed(request(t, "GET", "/v1/sso/login", testPort, ""))), 405, "method_not_allowed")
	// Without the token, nothing starts.
	n := len(asked)
	if w := serve(t, s.Handler(), request(t, "POST", "/v1/sso/login", testPort, `{"name":"acme"}`)); w.Code != 401 || len(asked) != n {
		t.Errorf("unauthenticated: %d, %d sign-ins started", w.Code, len(asked)-n)
	}
}
