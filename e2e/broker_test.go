package e2e_test

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// 500 clients asking at once for an account hopd has no credentials for
// yet cause exactly one AssumeRole, and all get the same credentials.
func TestConcurrentColdRequestsMakeOneAssumeRole(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, options{})
	const n = 500
	c := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        n,
			MaxIdleConnsPerHost: n,
			IdleConnTimeout:     time.Minute,
		},
	}
	t.Cleanup(c.CloseIdleConnections)

	// Start the user's session with another account, so that only the
	// account's own AssumeRole stands between the clients and credentials;
	// and open the clients' n connections with it, the way long-running
	// programs hold theirs, so that what is measured below is the
	// credentials path rather than n TCP handshakes and peer checks on a
	// busy machine.
	d.waitECS("staging")
	for i, a := range burst(t, c, d, "staging", n) {
		if a.status != http.StatusOK {
			t.Fatalf("warming up, request %d for cached credentials: %d %s (error %v)", i, a.status, a.body, a.err)
		}
	}
	before := d.proxy.Count("AssumeRole")
	// Slow STS down so that every request arrives while the one AssumeRole
	// is in flight.
	d.proxy.SetDelay(200 * time.Millisecond)

	keyIDs := map[string]int{}
	failed := 0
	for i, a := range burst(t, c, d, "production", n) {
		if a.err != nil || a.status != http.StatusOK {
			if failed++; failed <= 5 {
				t.Errorf("request %d: %d %s (error %v)", i, a.status, a.body, a.err)
			}
			continue
		}
		keyIDs[a.keyID]++
	}
	if failed > 0 {
		t.Errorf("%d of %d requests were not answered 200", failed, n)
	}
	if len(keyIDs) != 1 {
		t.Errorf("the requests were served %d different access keys (%v); want one", len(keyIDs), keyIDs)
	}
	if got := d.proxy.Count("AssumeRole") - before; got != 1 {
		t.Errorf("%d concurrent cold requests made %d AssumeRole calls; want exactly 1", n, got)
	}
}

// answer is how the ECS endpoint answered one request of a burst.
type answer struct {
	status int
	keyID  string
	body   string // of an answer other than 200
	err    error
}

// burst sends n requests for an account's credentials at once, each on its
// own goroutine, and waits for all the answers.
func burst(t *testing.T, c *http.Client, d *daemon, acct string, n int) []answer {
	t.Helper()
	token := d.Token()
	answers := make([]answer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", d.ecsURL(acct), nil)
			req.Header.Set("Authorization", token)
			<-start
			resp, err := c.Do(req)
			if err != nil {
				answers[i].err = err
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			answers[i].status, answers[i].err = resp.StatusCode, err
			if resp.StatusCode != http.StatusOK {
				answers[i].body = string(body)
				return
			}
			var cr ecsCreds
			answers[i].err = json.Unmarshal(body, &cr)
			answers[i].keyID = cr.AccessKeyID
		})
	}
	close(start)
	wg.Wait()
	return answers
}

// While STS is unreachable hopd keeps serving the credentials it holds,
// answers a request that needs STS with a fast 503, and serves again once
// STS is back.
func TestSTSOutage(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, options{})
	held := d.waitECS("production")
	imdsHeld, err := d.imdsCreds("production")
	if err != nil {
		t.Fatalf("IMDS before the outage: %v", err)
	}

	d.proxy.SetDown(true)
	for range 20 {
		if c := d.mustECS("production"); c.AccessKeyID != held.AccessKeyID {
			t.Fatalf("during the outage the ECS endpoint served access key %s; want the held %s", c.AccessKeyID, held.AccessKeyID)
		}
		c, err := d.imdsCreds("production")
		if err != nil {
			t.Fatalf("IMDS during the outage: %v", err)
		}
		if c.AccessKeyID != imdsHeld.AccessKeyID {
			t.Fatalf("during the outage IMDS served access key %s; want the held %s", c.AccessKeyID, imdsHeld.AccessKeyID)
		}
	}
	if out := d.mustRun("creds", "production"); !json.Valid([]byte(out)) {
		t.Errorf("hopd creds during the outage printed something that is not JSON")
	}

	// An account hopd holds nothing for needs STS: the client gets a 503
	// with a reason, in time for SDKs that give up after a second.
	r := d.ecs("staging")
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("a cold account during the outage: %d %s; want 503", r.status, r.shown())
	}
	if r.took > 1500*time.Millisecond {
		t.Errorf("the 503 for a cold account during the outage took %s; SDK IMDS clients give up after about 1s", r.took)
	}
	checkErrorBody(t, r)

	d.proxy.SetDown(false)
	if c := d.waitECS("staging"); c.AccountID != "333333333333" {
		t.Errorf("after the outage staging was served credentials of account %q", c.AccountID)
	}
	if c := d.mustECS("production"); c.AccessKeyID != held.AccessKeyID {
		t.Errorf("after the outage production was served access key %s; want the still valid %s", c.AccessKeyID, held.AccessKeyID)
	}
}
