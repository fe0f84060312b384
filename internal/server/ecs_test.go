package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/broker"
)

func TestECSSuccess(t *testing.T) {
	s := newTestServer(t, newFakeSource())
	w := serve(t, s.Handler(), authed(request(t, "GET", "/creds/production", testPort, "")))
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d; body %s", w.Code, w.Body)
	}
	for k, want := range map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	want := map[string]string{
		"AccessKeyId":     "ASIAFIXTURE000000001",
		"SecretAccessKey": secretKey,
		"Token":           sessTok,
		"AccountId":       "222222222222",
	}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("%s = %q, want %q", k, body[k], v)
		}
	}
	if len(body) != 5 {
		t.Errorf("body has fields %v, want exactly AccessKeyId SecretAccessKey Token Expiration AccountId", body)
	}
	wantRFC3339Z(t, body["Expiration"], fixtureExpiry)
}

func TestECSAuth(t *testing.T) {
	tests := []struct {
		name   string
		header []string // nil: no Authorization header
		token  string   // the server's token
		want   int
	}{
		{"raw token", []string{testToken}, testToken, 200},
		{"bearer token", []string{"Bearer " + testToken}, testToken, 200},
		{"lowercase bearer", []string{"bearer " + testToken}, testToken, 200},
		{"missing", nil, testToken, 401},
		{"empty", []string{""}, testToken, 401},
		{"wrong", []string{"Bearer nope"}, testToken, 403},
		{"token prefix", []string{testToken[:len(testToken)-1]}, testToken, 403},
		{"token twice", []string{testToken, testToken}, testToken, 403},
		{"server without token", []string{""}, "", 401},
		{"server without token, any token", []string{"Bearer "}, "", 403},
		{"server without token, bearer x", []string{"x"}, "", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, newFakeSource(), func(o *Options) { o.Token = tt.token })
			r := request(t, "GET", "/creds/production", testPort, "")
			if tt.header != nil {
				r.Header["Authorization"] = tt.header
			}
			w := serve(t, s.Handler(), r)
			switch tt.want {
			case 200:
				if w.Code != 200 {
					t.Fatalf("status = %d, want 200; body %s", w.Code, w.Body)
				}
			case 401:
				wantError(t, w, 401, "unauthorized")
			case 403:
				wantError(t, w, 403, "forbidden")
			}
		})
	}
}

func TestECSErrors(t *testing.T) {
	tests := []struct {
		name, method, path string
		status             int
		code               string
		msgHas             string
	}{
		{"unknown account", "GET", "/creds/nosuch", 404, "unknown_account", "nosuch"},
		{"bad account name", "GET", "/creds/Prod%2Fx", 404, "unknown_account", ""},
		{"nested path", "GET", "/creds/production/x", 404, "unknown_account", ""},
		{"unavailable", "GET", "/creds/locked", 503, "unavailable", "hopd mfa"},
		{"internal error", "GET", "/creds/broken", 500, "internal", "log"},
		{"POST", "POST", "/creds/production", 405, "method_not_allowed", "GET"},
		{"no account", "GET", "/creds/", 404, "not_found", ""},
		{"unknown path", "GET", "/nothing", 404, "not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, newFakeSource())
			w := serve(t, s.Handler(), authed(request(t, tt.method, tt.path, testPort, "")))
			msg := wantError(t, w, tt.status, tt.code)
			if !strings.Contains(msg, tt.msgHas) {
				t.Errorf("message %q does not mention %q", msg, tt.msgHas)
			}
		})
	}
}

func TestECSNeedMFAAndExpired(t *testing.T) {
	src := newFakeSource()
	src.errs["waiting"] = broker.ErrNeedMFA
	old := fixtureCreds("222222222222")
	old.Expiration = time.Now().Add(-time.Minute)
	src.creds["stale"] = old
	s := newTestServer(t, src)
	for _, name := range []string{"waiting", "stale"} {
		w := serve(t, s.Handler(), authed(request(t, "GET", "/creds/"+name, testPort, "")))
		wantError(t, w, 503, "")
	}
}
