package e2e_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/testenv"
)

// One daemon per state directory: a second one names the first's pid and
// exits 1, or 0 when the login entry started it (--autostart), so that
// launchd and systemd do not take it for a crash. The daemon logs to
// hopd.log in the state directory.
func TestSecondInstance(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, options{accounts: threeAccounts[:1]})
	pid := d.PID()
	wantMsg := fmt.Sprintf("already running (pid %d)", pid)

	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"serve", "--no-tray"}, 1},
		{[]string{"serve", "--no-tray", "--autostart"}, 0},
	} {
		r := d.run(tc.args...)
		if r.code != tc.code || !oneLine(r.stderr) || !strings.Contains(r.stderr, wantMsg) {
			t.Errorf("hopd %s while hopd runs: exit %d, %q; want exit %d and one line with %q",
				strings.Join(tc.args, " "), r.code, r.stderr, tc.code, wantMsg)
		}
	}
	if info := d.Info(); info.PID != pid {
		t.Errorf("after the refused second daemons, daemon.json names pid %d; want %d", info.PID, pid)
	}
	if got := strings.TrimSpace(readState(t, d, "hopd.pid")); got != strconv.Itoa(pid) {
		t.Errorf("hopd.pid holds %q; want %d", got, pid)
	}
	d.waitECS("production")
	if log := readState(t, d, "hopd.log"); !strings.Contains(log, "hopd is serving") {
		t.Errorf("hopd.log in the state directory lacks the start-up line:\n%s", log)
	}
}

func readState(t *testing.T, d *daemon, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(d.State, name))
	if err != nil {
		t.Fatalf("reading %s from the state directory: %v", name, err)
	}
	return string(b)
}

// burstOutcome counts what 1,000 requests got while hopd was stopped.
type burstOutcome struct {
	ok, refused, unaccepted atomic.Int64
	mu                      sync.Mutex
	dropped                 []string
}

func (o *burstOutcome) drop(why string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.dropped = append(o.dropped, why)
}

// SIGTERM in the middle of a burst of 1,000 requests: every request hopd
// accepted is answered in full, hopd exits 0, and it leaves no daemon.json
// or hopd.pid behind. Requests that arrive after the listener closed are
// refused at connect, which SDKs retry; hopd's own log must count exactly
// the 200s the clients received.
func TestSIGTERMDuringBurst(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, options{accounts: threeAccounts[:1], serveArgs: []string{"--log-level", "debug"}})
	want := d.waitECS("production")
	token, url := d.Token(), d.ecsURL("production")

	const total, workers = 1000, 16
	var next atomic.Int64
	var o burstOutcome
	signalled := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for w := range workers {
		// Half the workers reuse connections, as SDKs do; half connect
		// anew for each request, to meet the listener as it closes.
		tr := &http.Transport{DisableKeepAlives: w%2 == 1, MaxIdleConnsPerHost: 1}
		hc := &http.Client{Transport: tr, Timeout: 20 * time.Second}
		wg.Go(func() {
			defer tr.CloseIdleConnections()
			for next.Add(1) <= total {
				burstRequest(hc, url, token, want.AccessKeyID, &o)
				if o.ok.Load() >= total/4 {
					once.Do(func() {
						if err := d.Signal(syscall.SIGTERM); err != nil {
							t.Errorf("sending SIGTERM: %v", err)
						}
						close(signalled)
					})
				}
			}
		})
	}
	wg.Wait()
	<-signalled
	select {
	case <-d.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("hopd did not exit within 20s of SIGTERM")
	}
	if err := d.Wait(); err != nil {
		t.Errorf("hopd exited with %v after SIGTERM; want 0", err)
	}
	t.Logf("%d answered, %d refused at connect, %d reset before hopd accepted them, %d dropped",
		o.ok.Load(), o.refused.Load(), o.unaccepted.Load(), len(o.dropped))
	if len(o.dropped) > 0 {
		t.Errorf("%d accepted requests got no full answer, for example: %s", len(o.dropped), o.dropped[0])
	}
	if n := o.ok.Load() + o.refused.Load() + o.unaccepted.Load() + int64(len(o.dropped)); n != total {
		t.Errorf("the outcomes add up to %d; want %d", n, total)
	}
	// hopd logged each answer it gave (at debug): as many as the clients
	// got, plus the one waitECS got.
	served := strings.Count(readState(t, d, "hopd.log"), "route=ecs account=production status=200")
	if int64(served) != o.ok.Load()+1 {
		t.Errorf("hopd's log counts %d answers; the clients received %d", served, o.ok.Load()+1)
	}
	for _, name := range []string{"daemon.json", "hopd.pid"} {
		if _, err := os.Stat(filepath.Join(d.State, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("after a clean shutdown %s is still there (%v)", name, err)
		}
	}
}

// burstRequest makes one request and files its outcome. A refused connect
// and a reset on a fresh connection before any answer byte (the kernel
// dropping its backlog as the listener closes) mean hopd never accepted
// the request; anything else short of a full 200 is a dropped request.
func burstRequest(hc *http.Client, url, token, keyID string, o *burstOutcome) {
	var reused, answered bool
	trace := &httptrace.ClientTrace{
		GotConn:              func(i httptrace.GotConnInfo) { reused = i.Reused },
		GotFirstResponseByte: func() { answered = true },
	}
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", token)
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	resp, err := hc.Do(req)
	if err != nil {
		var oe *net.OpError
		switch {
		case errors.As(err, &oe) && oe.Op == "dial":
			o.refused.Add(1)
		case !reused && !answered && errors.Is(err, syscall.ECONNRESET):
			o.unaccepted.Add(1)
		default:
			o.drop(fmt.Sprintf("error %v (reused connection %v, answer started %v)", err, reused, answered))
		}
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	var c ecsCreds
	switch {
	case err != nil:
		o.drop(fmt.Sprintf("status %d, body cut short: %v", resp.StatusCode, err))
	case resp.StatusCode != http.StatusOK:
		o.drop(fmt.Sprintf("status %d: %s", resp.StatusCode, body))
	case json.Unmarshal(body, &c) != nil || c.AccessKeyID != keyID:
		o.drop(fmt.Sprintf("a 200 with an incomplete body of %d bytes", len(body)))
	default:
		o.ok.Add(1)
	}
}

// kill -9 leaves nothing half-written: the restarted daemon takes over the
// stale files, keeps its token (clients keep working) and serves again
// without a new MFA code while the cached session is valid.
func TestKillAndRestart(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, options{accounts: threeAccounts[:1], mfa: true})
	if out := d.mustRun("mfa", "123456"); strings.TrimSpace(out) == "" {
		t.Fatal("hopd mfa printed nothing")
	}
	d.waitECS("production")
	token := d.Token()

	if err := d.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = d.Wait() // killed: no clean exit to expect
	// What a kill -9 leaves: every file whole, none of them temporary.
	if info := d.Info(); info.PID == 0 {
		t.Errorf("after kill -9, daemon.json does not parse; it must never be half-written")
	}
	checkStateFiles(t, d)
	if r := d.run("status"); r.code == 0 || !strings.Contains(r.stderr, "not running") {
		t.Errorf("hopd status after kill -9: exit %d, %q; want it to say hopd is not running", r.code, r.stderr)
	}

	d.proxy.Reset()
	d.start()
	testenv.EventuallyWhy(t, 15*time.Second, func() string {
		r := d.ecs("production")
		if r.status == http.StatusOK {
			return ""
		}
		if strings.Contains(string(r.body), "hopd mfa") {
			t.Fatalf("after a restart within the session's lifetime hopd asks for MFA again: %d %s", r.status, r.shown())
		}
		return fmt.Sprintf("the restarted hopd does not serve production: %d %s", r.status, r.shown())
	})
	if n := d.proxy.Count("GetSessionToken"); n != 0 {
		t.Errorf("the restarted hopd called GetSessionToken %d times; want 0: the session is cached", n)
	}
	if got := d.userState(); got != api.UserOK {
		t.Errorf("after the restart the user is %q; want ok", got)
	}
	if got := d.Token(); got != token {
		t.Error("the restart replaced the token, which breaks every client that read it")
	}
	checkStateFiles(t, d)
}

// checkStateFiles fails on any file in the state directory that hopd does
// not own on purpose, such as a temporary file a write left behind.
func checkStateFiles(t *testing.T, d *daemon) {
	t.Helper()
	entries, err := os.ReadDir(d.State)
	if err != nil {
		t.Fatal(err)
	}
	known := []string{"token", "hopd.lock", "hopd.pid", "daemon.json", "hopd.log", "discovered-accounts.json"}
	for _, e := range entries {
		if !slices.Contains(known, e.Name()) {
			t.Errorf("the state directory holds %s, which hopd does not keep", e.Name())
		}
	}
}
