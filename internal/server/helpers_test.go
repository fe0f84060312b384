package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/broker"
	"github.com/hopd/hopd/internal/config"
)

const (
	testToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	testPort  = 9911
	imdsPort  = 9921
	secretKey = "fixtureSecretKey/DoNotLeak+0123456789abcd"
	sessTok   = "FwoGZXIvYXdzFixtureSessionToken/DoNotLeak+=="
)

// fixtureExpiry has a fractional second so tests see it truncated.
var fixtureExpiry = time.Now().Add(time.Hour).Truncate(time.Second).Add(123 * time.Millisecond).In(time.FixedZone("CEST", 2*3600))

var (
	prodAcct = config.Account{Name: "production", ID: "222222222222", Role: config.DefaultRole, Region: "eu-west-1", IMDSPort: imdsPort}
	v1Acct   = config.Account{Name: "staging", ID: "333333333333", Role: "Admin", Region: "us-east-2", IMDSPort: imdsPort + 1, IMDSv1: true}
)

func fixtureCreds(accountID string) broker.Creds {
	return broker.Creds{
		AccessKeyID:     "ASIAFIXTURE000000001",
		SecretAccessKey: secretKey,
		SessionToken:    sessTok,
		Expiration:      fixtureExpiry,
		AccountID:       accountID,
		RoleARN:         "arn:aws:iam::" + accountID + ":role/" + config.DefaultRole,
	}
}

// fakeSource is an in-memory broker.
type fakeSource struct {
	mu      sync.Mutex
	creds   map[string]broker.Creds
	errs    map[string]error
	status  broker.Status
	mfaErr  error
	mfaUser string
	mfaCode string
	calls   int

	gate    chan struct{} // when set, Credentials waits for it to close
	entered chan struct{} // signalled when a gated call starts
}

func newFakeSource() *fakeSource {
	return &fakeSource{
		creds: map[string]broker.Creds{
			"production": fixtureCreds("222222222222"),
			"staging":    fixtureCreds("333333333333"),
		},
		errs: map[string]error{
			"locked": &broker.UnavailableError{Account: "locked", Reason: "an MFA code is needed: run `hopd mfa`", Err: broker.ErrNeedMFA},
			"broken": errors.New("internal detail: " + secretKey),
		},
		status: broker.Status{
			Users: []broker.UserStatus{{Name: "alice", State: api.UserOK}, {Name: "bob", State: api.UserNeedsMFA, MFA: true}},
			Accounts: []broker.AccountStatus{
				{Name: "production", ID: "222222222222", Role: config.DefaultRole, Region: "eu-west-1", State: api.AccountFresh},
			},
		},
	}
}

func (f *fakeSource) Credentials(ctx context.Context, account string) (broker.Creds, error) {
	f.mu.Lock()
	f.calls++
	gate, entered := f.gate, f.entered
	c, ok := f.creds[account]
	err := f.errs[account]
	f.mu.Unlock()
	if gate != nil {
		entered <- struct{}{}
		<-gate
	}
	if err != nil {
		return broker.Creds{}, err
	}
	if !ok {
		return broker.Creds{}, broker.ErrUnknownAccount
	}
	return c, nil
}

func (f *fakeSource) Status() broker.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

func (f *fakeSource) SubmitMFA(ctx context.Context, user, code string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mfaUser, f.mfaCode = user, code
	return f.mfaErr
}

func newTestServer(t testing.TB, src Source, mod ...func(*Options)) *Server {
	t.Helper()
	opts := Options{Token: testToken, Source: src}
	for _, m := range mod {
		m(&opts)
	}
	return New(opts)
}

// request builds a request as a net/http server would hand it over on a
// loopback listener at port.
func request(t testing.TB, method, target string, port int, body string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	r.Host = "127.0.0.1:" + strconv.Itoa(port)
	r.RemoteAddr = "127.0.0.1:40000"
	return withLocalPort(r, port)
}

func withLocalPort(r *http.Request, port int) *http.Request {
	ctx := context.WithValue(r.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	return r.WithContext(ctx)
}

func authed(r *http.Request) *http.Request {
	r.Header.Set("Authorization", testToken)
	return r
}

func serve(t testing.TB, h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	checkNoCORS(t, w.Result())
	return w
}

func checkNoCORS(t testing.TB, resp *http.Response) {
	t.Helper()
	for k := range resp.Header {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Errorf("response carries CORS header %s", k)
		}
	}
}

// wantError checks a {"code","message"} answer and returns the message.
func wantError(t testing.TB, w *httptest.ResponseRecorder, status int, code string) string {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d; body %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want exactly application/json", ct)
	}
	var e struct{ Code, Message string }
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body %q is not JSON: %v", w.Body, err)
	}
	if code != "" && e.Code != code {
		t.Errorf("code = %q, want %q", e.Code, code)
	}
	if e.Message == "" {
		t.Error("error without a message")
	}
	if strings.Contains(w.Body.String(), secretKey) || strings.Contains(w.Body.String(), sessTok) {
		t.Errorf("error body leaks a secret: %s", w.Body)
	}
	return e.Message
}

func wantRFC3339Z(t testing.TB, s string, want time.Time) {
	t.Helper()
	if len(s) != len("2006-01-02T15:04:05Z") || !strings.HasSuffix(s, "Z") {
		t.Errorf("time %q is not RFC 3339 UTC with whole seconds", s)
	}
	got, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	if !want.IsZero() && !got.Equal(want.Truncate(time.Second)) {
		t.Errorf("time = %s, want %s", got, want.Truncate(time.Second).UTC())
	}
}
