package e2e_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// STS unreachable (connections closed unanswered). hopd must keep serving
// the credentials it holds over ECS and IMDS, also once they are due for a
// refresh; answer an account it holds nothing for with a fast 503 that
// names STS; and, once STS is back, refresh both accounts by itself.
func TestFaultSTSUnreachable(t *testing.T) {
	t.Parallel()
	c := newClock(t)
	d := startDaemon(t, options{accounts: threeAccounts[:2], env: c.env()})
	w := watchDaemon(t, d, c)
	held := d.waitECS("production")
	imdsHeld, _ := w.imds("production")

	d.proxy.SetDown(true)
	for range 10 {
		if got := w.mustECS("production"); got.AccessKeyID != held.AccessKeyID {
			t.Fatalf("during the outage ECS served key %s; want the held %s", got.AccessKeyID, held.AccessKeyID)
		}
		if got, status := w.imds("production"); status != http.StatusOK || got.AccessKeyID != imdsHeld.AccessKeyID {
			t.Fatalf("during the outage IMDS answered %d with key %s; want the held %s", status, got.AccessKeyID, imdsHeld.AccessKeyID)
		}
	}
	w.unavailable("staging", "STS")

	// 29 minutes on, the held credentials are due for a refresh (31 min
	// left, under the 32-minute lead), which fails: they are still valid,
	// so they are still served. STS lives in the same future.
	d.proxy.SetExpiry(func(e time.Time) time.Time { return e.Add(c.offset()) })
	c.set(d, 29*time.Minute)
	_, _, before := d.accountState("production")
	for range 5 {
		if got := w.mustECS("production"); got.AccessKeyID != held.AccessKeyID {
			t.Fatalf("with a refresh due during the outage ECS served key %s; want the held %s", got.AccessKeyID, held.AccessKeyID)
		}
	}
	eventually(t, 10*time.Second, func() string {
		if _, lastErr, _ := d.accountState("production"); lastErr == "" {
			return "the failed refresh of production during the outage shows no error in hopd status"
		}
		return ""
	})

	// Back: hopd refreshes both accounts on its own (its backoff starts at
	// a few seconds), with no client asking.
	d.proxy.SetDown(false)
	d.recovers("production", before, 30*time.Second)
	d.recovers("staging", 0, 30*time.Second)
	if got := w.mustECS("production"); got.AccessKeyID == held.AccessKeyID {
		t.Error("after the outage production is still served the credentials that were due for a refresh")
	}
	w.mustECS("staging")
}

// STS slow (2 s an answer). hopd must serve held credentials at once,
// answer 16 clients asking for a cold account with a fast 503 that says to
// retry (never making them wait for STS), make exactly one AssumeRole for
// all of them, and serve the account as soon as that one call returns.
func TestFaultSTSSlow(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, options{accounts: threeAccounts[:2]})
	w := watchDaemon(t, d, nil)
	held := d.waitECS("production")
	before := d.proxy.Count("AssumeRole")
	d.proxy.SetDelay(2 * time.Second)

	if got := w.mustECS("production"); got.AccessKeyID != held.AccessKeyID {
		t.Fatalf("with STS slow ECS served key %s; want the held %s", got.AccessKeyID, held.AccessKeyID)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	var refusal response
	for range 16 {
		wg.Go(func() {
			r, _ := w.ecs("staging")
			mu.Lock()
			statuses[r.status]++
			refusal = r
			mu.Unlock()
		})
	}
	wg.Wait()
	if statuses[http.StatusServiceUnavailable] != 16 {
		t.Errorf("16 clients asking for a cold account while STS takes 2 s got %v; want 16 fast 503s", statuses)
	}
	checkErrorBody(t, refusal)
	if !strings.Contains(string(refusal.body), "retry") {
		t.Errorf("the 503 while STS is slow says %s; want it to say to retry", refusal.body)
	}
	// The one call returns after 2 s; the clients' retries are served.
	w.serving("staging", 10*time.Second)
	if n := d.proxy.Count("AssumeRole") - before; n != 1 {
		t.Errorf("the requests for a cold account made %d AssumeRole calls; want 1", n)
	}
}

// STS throttling (every call answered "Throttling"). hopd must keep
// serving held credentials, answer a cold account with a fast 503 and say
// in its status that STS throttles, not hammer STS however many clients
// ask, and fetch the account by itself once the throttling stops.
func TestFaultSTSThrottling(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, options{accounts: threeAccounts[:2]})
	w := watchDaemon(t, d, nil)
	held := d.waitECS("production")
	d.proxy.SetThrottling(true)
	before := d.proxy.Count("AssumeRole")

	// 16 clients, each asking for the cold account every 50 ms for 3 s.
	var wg sync.WaitGroup
	var mu sync.Mutex
	asked, served := 0, 0
	deadline := time.Now().Add(3 * time.Second)
	for range 16 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				r, _ := w.ecs("staging")
				mu.Lock()
				asked++
				if r.status == http.StatusOK {
					served++
				}
				mu.Unlock()
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	for time.Now().Before(deadline) {
		if got := w.mustECS("production"); got.AccessKeyID != held.AccessKeyID {
			t.Fatalf("while STS throttles ECS served key %s; want the held %s", got.AccessKeyID, held.AccessKeyID)
		}
		time.Sleep(100 * time.Millisecond)
	}
	wg.Wait()
	calls := d.proxy.Count("AssumeRole") - before
	t.Logf("%d requests for a cold account while STS throttled made %d AssumeRole calls", asked, calls)
	if served != 0 {
		t.Errorf("%d requests were served credentials STS never gave", served)
	}
	// The SDK makes up to 3 attempts a fetch and a fetch takes over a
	// second with its backoff: a dozen calls in 3 s. Hundreds would be
	// one fetch per request.
	if calls > 30 {
		t.Errorf("%d requests while STS throttled made %d AssumeRole calls; hopd must not hammer a throttling STS", asked, calls)
	}
	w.unavailable("staging")
	if _, lastErr, _ := d.accountState("staging"); !strings.Contains(strings.ToLower(lastErr), "throttl") {
		t.Errorf("hopd status says %q for the throttled account; want it to say STS is throttling", lastErr)
	}

	d.proxy.SetThrottling(false)
	d.recovers("staging", 0, 30*time.Second)
	w.mustECS("staging")
}

// STS handing out credentials that are already expired, or that expire
// before the floor, or that are due for a refresh at once (a clock far
// off). hopd must never serve the first two (fast 503 saying why), serve
// the third, and in no case call STS in a loop; once STS is right again it
// must fetch good credentials by itself.
func TestFaultSTSExpiredCredentials(t *testing.T) {
	t.Parallel()
	accounts := []account{
		{Name: "production", ID: "222222222222"},
		{Name: "expired", ID: "333333333333"},
		{Name: "short", ID: "444444444444"},
		{Name: "due", ID: "555555555555"},
	}
	d := startDaemon(t, options{accounts: accounts})
	w := watchDaemon(t, d, nil)
	d.waitECS("production") // the session is started; only AssumeRole is left

	for _, tc := range []struct {
		acct  string
		left  time.Duration // the lifetime STS gives
		serve bool
	}{
		{"expired", -time.Minute, false},
		{"short", 10 * time.Minute, false},
		{"due", 35 * time.Minute, true},
	} {
		left := tc.left
		d.proxy.SetExpiry(func(time.Time) time.Time { return time.Now().Add(left) })
		before := d.proxy.Count("AssumeRole")
		// A client asking every 50 ms for 3 s.
		var served int
		for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if r, _ := w.ecs(tc.acct); r.status == http.StatusOK {
				served++
			}
		}
		calls := d.proxy.Count("AssumeRole") - before
		t.Logf("STS giving credentials with %s left: %d served, %d AssumeRole calls in 3 s", left, served, calls)
		if tc.serve && served == 0 {
			t.Errorf("credentials with %s left (over the floor) were never served", left)
		}
		if !tc.serve && served != 0 {
			t.Errorf("credentials with %s left were served %d times; never under the floor", left, served)
		}
		if !tc.serve {
			w.unavailable(tc.acct, "clock")
		}
		if calls > 5 {
			t.Errorf("STS giving credentials with %s left made hopd call AssumeRole %d times in 3 s; it must not call STS in a loop", left, calls)
		}
	}

	d.proxy.SetExpiry(nil)
	_, _, n := d.accountState("expired")
	d.recovers("expired", n, 30*time.Second)
	w.mustECS("expired")
}

// The clock jumps 2 hours forward (a laptop that slept). hopd must never
// serve the credentials it held, which expired in its sleep, over ECS or
// IMDS; the first requests after waking get new credentials (or a fast
// 503), without a restart.
func TestFaultClockJump(t *testing.T) {
	t.Parallel()
	c := newClock(t)
	d := startDaemon(t, options{accounts: threeAccounts[:1], env: c.env()})
	w := watchDaemon(t, d, c)
	held := d.waitECS("production")
	imdsHeld, _ := w.imds("production")

	// STS, unlike hopd's timers, lives on the jumped clock too.
	d.proxy.SetExpiry(func(e time.Time) time.Time { return e.Add(c.offset()) })
	c.set(d, 2*time.Hour)

	got := w.serving("production", 10*time.Second)
	if got.AccessKeyID == held.AccessKeyID {
		t.Fatal("after the jump ECS served the credentials held before it, which expired an hour ago")
	}
	eventually(t, 10*time.Second, func() string {
		c, status := w.imds("production")
		if status != http.StatusOK {
			return "IMDS after the jump answered " + http.StatusText(status)
		}
		if c.AccessKeyID == imdsHeld.AccessKeyID {
			t.Fatal("after the jump IMDS served the credentials held before it")
		}
		return ""
	})
}
