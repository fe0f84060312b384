package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fault suite (TestFault*, `make faults`): hopd against a broken world.
// Each test names the fault, then what hopd must do about it, and checks
// exactly that. What every fault shares:
//
//   - keep serving the valid credentials it holds;
//   - answer what it cannot serve fast, with a 503 whose message says what
//     is wrong: no request waits longer than waitTarget (SDK IMDS clients
//     give up after about a second);
//   - never serve credentials that are expired, or under the 30-minute
//     floor, by the daemon's clock;
//   - recover by itself when the fault clears, without a restart or a
//     client's help;
//   - never lose the keys.
//
// watch does the first three for every request a test makes.

// waitTarget is the longest a request may wait in a fault run. The tests
// fail only past waitTarget+waitSlack, because the machines running them
// are shared and loaded; each test logs its longest wait, which `make
// faults` shows.
const (
	waitTarget = time.Second
	waitSlack  = 500 * time.Millisecond
	floor      = 30 * time.Minute
)

// watch makes a daemon's requests and checks what every answer must be.
type watch struct {
	t *testing.T
	d *daemon
	c *clock // nil: the daemon runs on the real clock

	mu      sync.Mutex
	n       int
	longest time.Duration
	what    string
}

func watchDaemon(t *testing.T, d *daemon, c *clock) *watch {
	w := &watch{t: t, d: d, c: c}
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		t.Logf("%d requests, the longest took %s (%s); the target is under %s", w.n, w.longest.Round(time.Millisecond), w.what, waitTarget)
	})
	return w
}

// now is the daemon's idea of the time.
func (w *watch) now() time.Time {
	if w.c == nil {
		return time.Now()
	}
	return time.Now().Add(w.c.offset())
}

// record files a request's wait and fails the test when it was too long.
func (w *watch) record(what string, r response) {
	w.t.Helper()
	w.mu.Lock()
	w.n++
	if r.took > w.longest {
		w.longest, w.what = r.took, what
	}
	w.mu.Unlock()
	if r.took > waitTarget+waitSlack {
		w.t.Errorf("%s waited %s (status %d); no request may wait over %s", what, r.took.Round(time.Millisecond), r.status, waitTarget)
	}
}

// fresh fails the test when served credentials are expired or under the
// floor by the daemon's clock.
func (w *watch) fresh(what string, c ecsCreds) {
	w.t.Helper()
	exp, err := time.Parse(time.RFC3339, c.Expiration)
	if err != nil {
		w.t.Errorf("%s: Expiration %q is not RFC 3339: %v", what, c.Expiration, err)
		return
	}
	// A few seconds for the time between serving and this check.
	switch left := exp.Sub(w.now()); {
	case left <= 0:
		w.t.Errorf("%s served EXPIRED credentials (expired %s ago by the daemon's clock)", what, (-left).Round(time.Second))
	case left < floor-5*time.Second:
		w.t.Errorf("%s served credentials with %s left; never under the %s floor", what, left.Round(time.Second), floor)
	}
}

// ecs asks for an account's credentials over the ECS endpoint.
func (w *watch) ecs(acct string) (response, ecsCreds) {
	w.t.Helper()
	what := "GET /creds/" + acct
	r := do(w.t, httpClient, newRequest(w.t, "GET", w.d.ecsURL(acct), map[string]string{"Authorization": w.d.Token()}))
	w.record(what, r)
	var c ecsCreds
	if r.status == http.StatusOK {
		c = decodeCreds(w.t, r.body)
		w.fresh(what, c)
	}
	return r, c
}

// mustECS asks for credentials that must be served.
func (w *watch) mustECS(acct string) ecsCreds {
	w.t.Helper()
	r, c := w.ecs(acct)
	if r.status != http.StatusOK {
		w.t.Fatalf("GET /creds/%s: %d %s; want the credentials", acct, r.status, r.shown())
	}
	return c
}

// unavailable asks for credentials that cannot be had: the answer must be
// a 503 in the error format, whose message contains each of words.
func (w *watch) unavailable(acct string, words ...string) string {
	w.t.Helper()
	r, _ := w.ecs(acct)
	if r.status != http.StatusServiceUnavailable {
		w.t.Fatalf("GET /creds/%s: %d %s; want 503", acct, r.status, r.shown())
	}
	checkErrorBody(w.t, r)
	var body struct{ Message string }
	_ = json.Unmarshal(r.body, &body)
	for _, word := range words {
		if !strings.Contains(body.Message, word) {
			w.t.Errorf("the 503 for %s says %q; want it to mention %q", acct, body.Message, word)
		}
	}
	return body.Message
}

// imds runs an SDK's IMDSv2 exchange, each request watched.
func (w *watch) imds(acct string) (ecsCreds, int) {
	w.t.Helper()
	base := w.d.imdsURL(acct)
	get := func(method, path string, h map[string]string) response {
		r := do(w.t, httpClient, newRequest(w.t, method, base+path, h))
		w.record(method+" IMDS "+path, r)
		return r
	}
	tok := get("PUT", "/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "60"})
	if tok.status != http.StatusOK {
		return ecsCreds{}, tok.status
	}
	h := map[string]string{"X-aws-ec2-metadata-token": string(tok.body)}
	role := get("GET", "/latest/meta-data/iam/security-credentials/", h)
	if role.status != http.StatusOK {
		return ecsCreds{}, role.status
	}
	cr := get("GET", "/latest/meta-data/iam/security-credentials/"+string(role.body), h)
	if cr.status != http.StatusOK {
		return ecsCreds{}, cr.status
	}
	var c ecsCreds
	if err := json.Unmarshal(cr.body, &c); err != nil || c.AccessKeyID == "" {
		w.t.Fatalf("IMDS %s: the credentials body does not parse: %v", acct, err)
	}
	w.fresh("IMDS "+acct, c)
	return c, cr.status
}

// serving polls, with requests, until acct is served; for recovery that a
// client's retry brings about.
func (w *watch) serving(acct string, within time.Duration) ecsCreds {
	w.t.Helper()
	var c ecsCreds
	eventually(w.t, within, func() string {
		r, got := w.ecs(acct)
		if r.status != http.StatusOK {
			return fmt.Sprintf("GET /creds/%s: %d %s", acct, r.status, r.shown())
		}
		c = got
		return ""
	})
	return c
}

// --- the daemon's state, from the control API -------------------------------

type faultStatus struct {
	Daemon struct {
		ConfigError string `json:"config_error"`
		Goroutines  int    `json:"goroutines"`
	} `json:"daemon"`
	Broker struct {
		Users []struct {
			State     string `json:"state"`
			LastError string `json:"last_error"`
		} `json:"users"`
		Accounts []struct {
			Name      string    `json:"name"`
			State     string    `json:"state"`
			Expires   time.Time `json:"expires"`
			LastError string    `json:"last_error"`
			Refreshes int       `json:"refreshes"`
		} `json:"accounts"`
	} `json:"broker"`
}

// faultStatus reads GET /v1/status, the data behind `hopd status --json`.
func (d *daemon) faultStatus() faultStatus {
	d.t.Helper()
	r := do(d.t, httpClient, newRequest(d.t, "GET", "http://"+d.Listen+"/v1/status", map[string]string{"Authorization": d.Token()}))
	var st faultStatus
	if r.status != http.StatusOK || json.Unmarshal(r.body, &st) != nil {
		d.t.Fatalf("GET /v1/status: %d %s", r.status, r.shown())
	}
	return st
}

// accountState is the broker's state of one account: its state, last
// error and number of successful refreshes.
func (d *daemon) accountState(acct string) (state, lastErr string, refreshes int) {
	d.t.Helper()
	for _, a := range d.faultStatus().Broker.Accounts {
		if a.Name == acct {
			return a.State, a.LastError, a.Refreshes
		}
	}
	d.t.Fatalf("hopd status lists no account %s", acct)
	return "", "", 0
}

// recovers waits, without asking for credentials, until the broker holds
// credentials for acct again that it fetched after `after` refreshes:
// recovery that hopd brings about by itself.
func (d *daemon) recovers(acct string, after int, within time.Duration) {
	d.t.Helper()
	eventually(d.t, within, func() string {
		state, lastErr, n := d.accountState(acct)
		if n > after && lastErr == "" {
			return ""
		}
		return fmt.Sprintf("%s is %q after %d refreshes (last error %q); want a new refresh without errors", acct, state, n, lastErr)
	})
}

// --- the clock hook ---------------------------------------------------------

// clock is the daemon's test clock: HOPD_TEST_CLOCK_OFFSET_FILE.
type clock struct {
	t    *testing.T
	path string

	mu  sync.Mutex
	off time.Duration
}

func newClock(t *testing.T) *clock {
	c := &clock{t: t, path: filepath.Join(t.TempDir(), "clock-offset")}
	if err := os.WriteFile(c.path, []byte("0s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// env is what options.env needs to give the daemon this clock.
func (c *clock) env() []string { return []string{"HOPD_TEST_CLOCK_OFFSET_FILE=" + c.path} }

func (c *clock) offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.off
}

// set moves the daemon's clock to the real one plus off and waits until the
// daemon says it took the change.
func (c *clock) set(d *daemon, off time.Duration) {
	c.t.Helper()
	line := fmt.Sprintf("msg=\"test clock offset\" offset=%s", off)
	before := strings.Count(d.Log(), line)
	tmp := c.path + ".tmp"
	if err := os.WriteFile(tmp, []byte(off.String()+"\n"), 0o600); err != nil {
		c.t.Fatal(err)
	}
	if err := os.Rename(tmp, c.path); err != nil {
		c.t.Fatal(err)
	}
	c.mu.Lock()
	c.off = off
	c.mu.Unlock()
	eventually(c.t, 5*time.Second, func() string {
		if strings.Count(d.Log(), line) > before {
			return ""
		}
		return "hopd did not log that its test clock moved to " + off.String()
	})
}
