package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHostCheck(t *testing.T) {
	tests := []struct {
		host string
		ok   bool
	}{
		{"127.0.0.1:9911", true},
		{"localhost:9911", true},
		{"LocalHost:9911", true},
		{"[::1]:9911", true},
		{"127.0.0.2:9911", true},
		{"[::ffff:127.0.0.1]:9911", true},
		{"evil.example", false},
		{"evil.example:9911", false},
		{"localhost.evil.example:9911", false},
		{"127.0.0.1:9912", false},
		{"localhost:80", false},
		{"127.0.0.1", false},
		{"localhost", false},
		{"127.0.0.1:", false},
		{"127.0.0.1:+9911", false},
		{"127.0.0.1:99110", false},
		{"::1:9911", false},
		{"[fe80::1]:9911", false},
		{"[::1%lo]:9911", false},
		{"10.0.0.1:9911", false},
		{"0.0.0.0:9911", false},
		{"127.1:9911", false},
		{"", false},
	}
	s := newTestServer(t, newFakeSource())
	imds := s.IMDSHandler(v1Acct, testPort) // IMDSv1 so no token is needed
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			for name, c := range map[string]struct {
				h    http.Handler
				path string
			}{"main": {s.Handler(), "/creds/production"}, "imds": {imds, "/latest/meta-data/placement/region"}} {
				r := authed(request(t, "GET", c.path, testPort, ""))
				r.Host = tt.host
				w := serve(t, c.h, r)
				if tt.ok && w.Code != 200 {
					t.Errorf("%s: status = %d, want 200; body %s", name, w.Code, w.Body)
				}
				if !tt.ok {
					wantError(t, w, 403, "forbidden")
				}
			}
		})
	}
}

func TestBrowserHeadersRefused(t *testing.T) {
	s := newTestServer(t, newFakeSource())
	imds := s.IMDSHandler(v1Acct, testPort)
	for _, hdr := range []string{"Origin", "Sec-Fetch-Site", "Sec-Fetch-Mode"} {
		for _, c := range []struct {
			h            http.Handler
			method, path string
		}{
			{s.Handler(), "GET", "/creds/production"},
			{s.Handler(), "GET", "/v1/status"},
			{s.Handler(), "POST", "/v1/mfa"},
			{imds, "GET", "/latest/meta-data/iam/security-credentials/Admin"},
			{imds, "PUT", "/latest/api/token"},
		} {
			t.Run(hdr+" "+c.path, func(t *testing.T) {
				r := authed(request(t, c.method, c.path, testPort, ""))
				r.Header.Set(hdr, "http://evil.example")
				r.Header.Set(hdrIMDSTTL, "60")
				wantError(t, serve(t, c.h, r), 403, "forbidden")
			})
		}
	}
}

// A request that did not come through a net/http server has no local
// address; the Host check cannot know the port and must refuse.
func TestNoLocalAddrRefused(t *testing.T) {
	s := newTestServer(t, newFakeSource())
	r := authed(httptest.NewRequest("GET", "/creds/production", nil))
	r.Host = "127.0.0.1:9911"
	wantError(t, serve(t, s.Handler(), r), 403, "forbidden")
}

func TestPageHandler(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299) })
	s := newTestServer(t, newFakeSource(), func(o *Options) { o.Page = page })
	r := request(t, "GET", "/", testPort, "")
	r.Header.Set("Sec-Fetch-Mode", "navigate") // browsers send it; the page must still load
	if w := serve(t, s.Handler(), r); w.Code != 299 {
		t.Errorf("page: status = %d, want the page handler's 299", w.Code)
	}
	r = request(t, "GET", "/", testPort, "")
	r.Host = "evil.example:9911"
	wantError(t, serve(t, s.Handler(), r), 403, "forbidden")
}

func TestPeerCheckWithoutConnContextRefuses(t *testing.T) {
	s := newTestServer(t, newFakeSource(), func(o *Options) { o.PeerCheck = true })
	wantError(t, serve(t, s.Handler(), authed(request(t, "GET", "/creds/production", testPort, ""))), 403, "forbidden")
}
