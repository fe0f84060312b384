package server

import (
	"context"
	"errors"
	"testing"
)

func TestControlDiscover(t *testing.T) {
	calls := 0
	var fail error
	s := newTestServer(t, newFakeSource(), func(o *Options) {
		o.Discover = func(context.Context) error { calls++; return fail }
	})
	if w := serve(t, s.Handler(), authed(request(t, "POST", "/v1/discover", testPort, ""))); w.Code != 204 || calls != 1 {
		t.Errorf("POST /v1/discover: %d after %d calls; want 204 after 1", w.Code, calls)
	}
	fail = errors.New("organizations:ListAccounts denied: the IAM user needs that permission in the management account")
	w := serve(t, s.Handler(), authed(request(t, "POST", "/v1/discover", testPort, "")))
	if msg := wantError(t, w, 502, "discover_failed"); msg != fail.Error() {
		t.Errorf("message %q, want %q", msg, fail)
	}
	if w := serve(t, s.Handler(), authed(request(t, "GET", "/v1/discover", testPort, ""))); w.Code != 405 || calls != 2 {
		t.Errorf("GET /v1/discover: %d after %d calls; want 405 and no call", w.Code, calls)
	}
	if w := serve(t, s.Handler(), request(t, "POST", "/v1/discover", testPort, "")); w.Code != 401 || calls != 2 {
		t.Errorf("POST /v1/discover without the token: %d after %d calls; want 401 and no call", w.Code, calls)
	}

	none := newTestServer(t, newFakeSource())
	wantError(t, serve(t, none.Handler(), authed(request(t, "POST", "/v1/discover", testPort, ""))), 404, "not_found")
}
