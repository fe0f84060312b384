package server

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/config"
)

// parseRaw turns fuzz input into a request the way a net/http server would,
// so the handler sees only what a real client could get through.
func parseRaw(method, path, host string, hdr map[string]string, body string) (*http.Request, bool) {
	var b strings.Builder
	b.WriteString(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n")
	for k, v := range hdr {
		if v != "" {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(b.String())))
	if err != nil {
		return nil, false
	}
	r.RemoteAddr = "127.0.0.1:40000"
	return r, true
}

func checkFuzzResponse(t *testing.T, w *httptest.ResponseRecorder, known map[int]bool, secretOK bool) {
	t.Helper()
	if !known[w.Code] {
		t.Fatalf("unexpected status %d; body %s", w.Code, w.Body)
	}
	for k := range w.Header() {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Fatalf("CORS header %s", k)
		}
	}
	body := w.Body.String()
	if w.Code >= 300 || strings.HasPrefix(body, "{") {
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("status %d with JSON-like body has Content-Type %q", w.Code, ct)
		}
	}
	if w.Code >= 300 {
		var e struct{ Code, Message string }
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Code == "" || e.Message == "" {
			t.Fatalf("error body %q is not {code,message}: %v", body, err)
		}
	}
	if !secretOK && (strings.Contains(body, secretKey) || strings.Contains(body, sessTok)) {
		t.Fatalf("status %d leaks the secret: %s", w.Code, body)
	}
}

func FuzzHandler(f *testing.F) {
	host := "127.0.0.1:" + strconv.Itoa(testPort)
	seeds := []struct{ method, path, host, auth, body string }{
		{"GET", "/creds/production", host, testToken, ""},
		{"GET", "/creds/production", host, "Bearer " + testToken, ""},
		{"GET", "/creds/broken", host, testToken, ""},
		{"GET", "/creds/locked", "localhost:9911", testToken, ""},
		{"GET", "/creds/production", "evil.example", testToken, ""},
		{"GET", "/v1/status", host, testToken, ""},
		{"GET", "/v1/accounts", host, "", ""},
		{"POST", "/v1/mfa", host, testToken, `{"code":"123456"}`},
		{"POST", "/v1/mfa", host, testToken, `{"user":"x","code":"12a456"}`},
		{"POST", "/v1/reload", host, testToken, ""},
		{"DELETE", "//creds/../creds/production?x=1", "[::1]:9911", "wrong", "body"},
		{"GET", "http://evil/creds/production", host, testToken, ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.host, s.auth, s.body, false)
	}
	src := newFakeSource()
	srv := newTestServer(f, src, func(o *Options) {
		o.Reload = func(context.Context) error { return nil }
	})
	known := map[int]bool{200: true, 204: true, 400: true, 401: true, 403: true, 404: true, 405: true, 413: true, 500: true, 503: true}
	f.Fuzz(func(t *testing.T, method, path, host, auth, body string, browser bool) {
		hdr := map[string]string{"Authorization": auth}
		if browser {
			hdr["Origin"] = "http://evil.example"
		}
		r, ok := parseRaw(method, path, host, hdr, body)
		if !ok {
			return
		}
		r = withLocalPort(r, testPort)
		w := httptest.NewRecorder()
		srv.Handler().ServeHTTP(w, r)
		a := r.Header.Get("Authorization")
		authOK := a == testToken || len(a) == 7+len(testToken) && strings.EqualFold(a[:7], "bearer ") && a[7:] == testToken
		checkFuzzResponse(t, w, known, w.Code == 200 && authOK)
	})
}

func FuzzIMDSHandler(f *testing.F) {
	src := newFakeSource()
	srv := newTestServer(f, src)
	// Every fuzz worker is its own process; a fixed key keeps the seed
	// token valid in all of them.
	srv.macs.init([]byte("fixed fuzz key, never used outside tests"))
	good := srv.mintIMDSToken(imdsPort, time.Now().Add(24*time.Hour))
	host := "127.0.0.1:" + strconv.Itoa(imdsPort)
	role := "/latest/meta-data/iam/security-credentials/"
	seeds := []struct{ method, path, host, ttl, token string }{
		{"PUT", "/latest/api/token", host, "21600", ""},
		{"PUT", "//latest/api/token", host, "0", ""},
		{"GET", role, host, "", good},
		{"GET", role + config.DefaultRole, host, "", good},
		{"GET", "//" + role + config.DefaultRole, "localhost:9921", "", good},
		{"GET", role + config.DefaultRole, host, "", good[:10]},
		{"GET", "/latest/dynamic/instance-identity/document", host, "", good},
		{"GET", "/latest/meta-data/iam/info", host, "", ""},
		{"HEAD", "/latest/meta-data/placement/region", "[::1]:9921", "", good},
		{"GET", role + "Other", "evil.example:9921", "", good},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.host, s.ttl, s.token, false, false)
	}
	prod := srv.IMDSHandler(prodAcct, imdsPort)
	v1 := srv.IMDSHandler(v1Acct, imdsPort)
	known := map[int]bool{200: true, 400: true, 401: true, 403: true, 404: true, 405: true, 500: true, 503: true}
	f.Fuzz(func(t *testing.T, method, path, host, ttl, token string, xff, imdsv1 bool) {
		hdr := map[string]string{hdrIMDSTTL: ttl, hdrIMDSToken: token}
		if xff {
			hdr["X-Forwarded-For"] = "10.0.0.1"
		}
		r, ok := parseRaw(method, path, host, hdr, "")
		if !ok {
			return
		}
		r = withLocalPort(r, imdsPort)
		h, acct := prod, prodAcct
		if imdsv1 {
			h, acct = v1, v1Acct
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		credsPath := strings.HasSuffix(r.URL.Path, "/latest/meta-data/iam/security-credentials/"+acct.Role)
		checkFuzzResponse(t, w, known, w.Code == 200 && credsPath)
	})
}
