package testenv

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// STSProxy is a reverse proxy on 127.0.0.1 in front of an AWS endpoint (moto)
// that counts the API calls passing through it, and can be made slow or
// unreachable without touching the endpoint behind it. Point the SDK at URL
// instead of the endpoint.
type STSProxy struct {
	URL string

	srv     *httptest.Server
	closing chan struct{} // closed at cleanup, to release delayed requests

	mu        sync.Mutex
	counts    map[string]int
	delay     time.Duration
	down      bool
	rejectMFA string // a TokenCode that GetSessionToken refuses

	faults proxyFaults // throttling and rewritten expirations; see proxyfault.go
}

// CountingProxy starts a proxy in front of target (for example Moto.URL) and
// closes it when the test ends.
func CountingProxy(t testing.TB, target string) *STSProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		t.Fatalf("CountingProxy needs an absolute target URL such as http://127.0.0.1:5000, not %q: %v", target, err)
	}
	p := &STSProxy{closing: make(chan struct{}), counts: map[string]int{}}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			// Forward the request unchanged: the SDK signed the Host it
			// sent, and moto may route on it.
			r.Out.Host = r.In.Host
		},
	}
	p.srv = httptest.NewServer(p.handler(rp))
	p.URL = p.srv.URL
	t.Cleanup(func() {
		close(p.closing)
		p.srv.CloseClientConnections()
		p.srv.Close()
	})
	return p
}

func (p *STSProxy) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		down, delay := p.down, p.delay
		p.mu.Unlock()
		if down {
			// Closing the connection without an answer looks to the SDK
			// like an unreachable endpoint, which is what an outage is.
			hijackAndClose(w)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "testenv proxy: cannot read the request body: "+err.Error(), http.StatusBadGateway)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		act := action(r, body)
		p.count(act)
		if act == "GetSessionToken" && p.rejects(r, body) {
			writeMFARefusal(w)
			return
		}
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			case <-p.closing:
				hijackAndClose(w)
				return
			}
		}
		p.faults.serve(w, r, act, next)
	})
}

func hijackAndClose(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	http.Error(w, "testenv proxy: endpoint down", http.StatusServiceUnavailable)
}

// action names the AWS API call a request makes, in the three protocols the
// SDKs use: the query protocol (STS) sends Action=... in the form body or
// the URL; the JSON protocols (Organizations) send X-Amz-Target:
// Service.Action; RPCv2-CBOR puts it last in the path,
// /service/S/operation/Action. It returns "" for anything else.
func action(r *http.Request, body []byte) string {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		return target[strings.LastIndexByte(target, '.')+1:]
	}
	if _, op, ok := strings.Cut(r.URL.Path, "/operation/"); ok {
		return op
	}
	if a := r.URL.Query().Get("Action"); a != "" {
		return a
	}
	if form, err := url.ParseQuery(string(body)); err == nil {
		return form.Get("Action")
	}
	return ""
}

func (p *STSProxy) count(action string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[action]++
}

// Count returns how many requests for action (for example "AssumeRole",
// "GetSessionToken", "ListAccounts") the proxy has accepted since it started
// or since Reset. A request is counted when it arrives, before any delay;
// requests refused while the proxy is down are not counted.
func (p *STSProxy) Count(action string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[action]
}

// Reset sets all counts to zero.
func (p *STSProxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts = map[string]int{}
}

// SetDelay makes the proxy wait d before forwarding each request, to
// simulate a slow STS. Zero turns the delay off.
func (p *STSProxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// SetDown makes the proxy close every connection without answering while
// down is true, to simulate an outage while the endpoint behind it keeps
// its state.
func (p *STSProxy) SetDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
}

// SetRejectMFACode makes GetSessionToken calls with this TokenCode fail as
// AWS fails a wrong MFA code (403 AccessDenied), since moto accepts any
// code. "" turns it off. Refused calls are counted.
func (p *STSProxy) SetRejectMFACode(code string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rejectMFA = code
}

func (p *STSProxy) rejects(r *http.Request, body []byte) bool {
	p.mu.Lock()
	code := p.rejectMFA
	p.mu.Unlock()
	if code == "" {
		return false
	}
	if r.URL.Query().Get("TokenCode") == code {
		return true
	}
	form, err := url.ParseQuery(string(body))
	return err == nil && form.Get("TokenCode") == code
}

// writeMFARefusal answers as STS does when the MFA code is wrong.
func writeMFARefusal(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusForbidden)
	_, _ = io.WriteString(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>AccessDenied</Code>
    <Message>MultiFactorAuthentication failed with invalid MFA one time pass code. </Message>
  </Error>
  <RequestId>00000000-0000-4000-8000-000000000000</RequestId>
</ErrorResponse>
`)
}
