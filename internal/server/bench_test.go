package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
)

// Compare BenchmarkECSLoopback with BenchmarkTrivialLoopback: their ratio
// of ns/op is the cost of hopd's checks and encoding over bare net/http.

func BenchmarkECSCached(b *testing.B) {
	s := newTestServer(b, newFakeSource())
	h := s.Handler()
	r := authed(request(b, "GET", "/creds/production", testPort, ""))
	benchServe(b, h, r)
}

func BenchmarkIMDSCached(b *testing.B) {
	s := newTestServer(b, newFakeSource())
	h := s.IMDSHandler(prodAcct, imdsPort)
	r := request(b, "GET", "/latest/meta-data/iam/security-credentials/"+prodAcct.Role, imdsPort, "")
	r.Header.Set("X-aws-ec2-metadata-token", imdsToken(b, s, h, imdsPort))
	benchServe(b, h, r)
}

// benchServe serves r through h in process, b.N times, each answered 200,
// into a writer that costs nothing, so what is measured is the handler.
func benchServe(b *testing.B, h http.Handler, r *http.Request) {
	b.Helper()
	b.ReportAllocs()
	w := &discardWriter{h: http.Header{}}
	for b.Loop() {
		clear(w.h)
		w.code = 0
		h.ServeHTTP(w, r)
		if w.code != 200 {
			b.Fatal(w.code)
		}
	}
}

func benchLoopback(b *testing.B, h http.Handler, connContext bool, s *Server) {
	ts := httptest.NewUnstartedServer(h)
	if connContext {
		ts.Config.ConnContext = s.ConnContext
	}
	ts.Start()
	defer ts.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 4 * runtime.GOMAXPROCS(0)}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	url := ts.URL + "/creds/production"
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", testToken)
		for pb.Next() {
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

// BenchmarkECSLoopback is the real path: loopback TCP, keep-alive, peer
// check on (Linux), token check, Host check, encoding.
func BenchmarkECSLoopback(b *testing.B) {
	s := newTestServer(b, newFakeSource(), func(o *Options) { o.PeerCheck = true })
	benchLoopback(b, s.Handler(), true, s)
}

// BenchmarkTrivialLoopback is the baseline: a handler that writes a fixed
// body of about the same size.
func BenchmarkTrivialLoopback(b *testing.B) {
	body := []byte(`{"AccessKeyId":"ASIAFIXTURE000000001","SecretAccessKey":"` + secretKey + `","Token":"` + sessTok + `","Expiration":"2026-01-01T00:00:00Z","AccountId":"222222222222"}`)
	benchLoopback(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}), false, nil)
}
