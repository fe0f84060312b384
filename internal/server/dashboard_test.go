package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"testing"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/peercred"
)

type served struct {
	account, endpoint string
	peer              peercred.Conn
	parent            int
}

// OnServe hears of every credentials answer, and only of those.
func TestOnServe(t *testing.T) {
	var got []served
	s := newTestServer(t, newFakeSource(), func(o *Options) {
		o.OnServe = func(account, endpoint string, peer peercred.Conn, parent int) {
			got = append(got, served{account, endpoint, peer, parent})
		}
	})
	serve(t, s.Handler(), authed(request(t, "GET", "/creds/production", testPort, "")))
	serve(t, s.Handler(), authed(request(t, "GET", "/creds/locked", testPort, "")))
	serve(t, s.Handler(), request(t, "GET", "/creds/staging", testPort, ""))
	cp := authed(request(t, "GET", "/creds/production", testPort, ""))
	cp.Header.Set(api.HeaderVia, api.ViaCredentialProcess)
	cp.Header.Set(api.HeaderParent, "4242")
	serve(t, s.Handler(), cp)
	h := s.IMDSHandler(prodAcct, imdsPort)
	r := request(t, "GET", "/latest/meta-data/iam/security-credentials/"+prodAcct.Role, imdsPort, "")
	r.Header.Set("X-aws-ec2-metadata-token", imdsToken(t, s, h, imdsPort))
	serve(t, h, r)

	want := []served{
		{"production", "ecs", peercred.Conn{Remote: netip.MustParseAddrPort("127.0.0.1:40000"), Local: netip.MustParseAddrPort("127.0.0.1:9911")}, 0},
		{"production", "credential_process", peercred.Conn{Remote: netip.MustParseAddrPort("127.0.0.1:40000"), Local: netip.MustParseAddrPort("127.0.0.1:9911")}, 4242},
		{"production", "imds", peercred.Conn{Remote: netip.MustParseAddrPort("127.0.0.1:40000"), Local: netip.MustParseAddrPort("127.0.0.1:9921")}, 0},
	}
	if len(got) != len(want) {
		t.Fatalf("OnServe was called %d times (%v); want %d: once per answer with credentials", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("OnServe call %d = %+v; want %+v", i, got[i], want[i])
		}
	}
}

func TestControlDashboardLink(t *testing.T) {
	s := newTestServer(t, newFakeSource(), func(o *Options) {
		o.DashboardLink = func(context.Context) (string, error) { return "http://127.0.0.1:9911/login?t=abc", nil }
	})
	w := serve(t, s.Handler(), authed(request(t, "POST", "/v1/dashboard-link", testPort, "")))
	var body struct{ URL string }
	if err := json.Unmarshal(w.Body.Bytes(), &body); w.Code != 200 || err != nil || body.URL != "http://127.0.0.1:9911/login?t=abc" {
		t.Fatalf("POST /v1/dashboard-link: %d %s (%v)", w.Code, w.Body, err)
	}
	if w := serve(t, s.Handler(), authed(request(t, "GET", "/v1/dashboard-link", testPort, ""))); w.Code != 405 {
		t.Errorf("GET /v1/dashboard-link: %d; want 405", w.Code)
	}
	if w := serve(t, s.Handler(), request(t, "POST", "/v1/dashboard-link", testPort, "")); w.Code != 401 {
		t.Errorf("POST /v1/dashboard-link without the token: %d; want 401", w.Code)
	}
	r := authed(request(t, "POST", "/v1/dashboard-link", testPort, ""))
	r.Header.Set("Origin", "http://127.0.0.1:8000")
	if w := serve(t, s.Handler(), r); w.Code != 403 {
		t.Errorf("POST /v1/dashboard-link from a web page: %d; want 403", w.Code)
	}

	failing := newTestServer(t, newFakeSource(), func(o *Options) {
		o.DashboardLink = func(context.Context) (string, error) {
			return "", errors.New("too many links are open; use one of them")
		}
	})
	wantError(t, serve(t, failing.Handler(), authed(request(t, "POST", "/v1/dashboard-link", testPort, ""))), 503, "unavailable")
	none := newTestServer(t, newFakeSource())
	wantError(t, serve(t, none.Handler(), authed(request(t, "POST", "/v1/dashboard-link", testPort, ""))), 404, "not_found")
}

// BenchmarkECSCachedOnServe is BenchmarkECSCached with an OnServe hook:
// the difference is what telling the dashboard costs the hot path.
func BenchmarkECSCachedOnServe(b *testing.B) {
	n := 0
	s := newTestServer(b, newFakeSource(), func(o *Options) {
		o.OnServe = func(string, string, peercred.Conn, int) { n++ }
	})
	h := s.Handler()
	r := authed(request(b, "GET", "/creds/production", testPort, ""))
	benchServe(b, h, r)
	if n == 0 {
		b.Fatal("OnServe was not called")
	}
}
