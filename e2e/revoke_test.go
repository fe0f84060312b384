package e2e_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestKeysRmRevokesAtOnce: after `hopd keys rm`, the running daemon mints
// nothing more from the session it held (issue 12: it used to, for up to
// 12 hours). Warm and cold accounts get a fast 503 that says why.
func TestKeysRmRevokesAtOnce(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, options{})
	d.waitECS("production") // warm; staging stays cold
	r := d.run("keys", "rm", d.user)
	if r.code != 0 || !strings.Contains(r.stdout, "dropped the session") {
		t.Fatalf("hopd keys rm: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	assumed := d.proxy.Count("AssumeRole")
	for _, acct := range []string{"production", "staging"} {
		var got response
		eventually(t, 5*time.Second, func() string {
			// Within a second of a failure the same failure comes back; the
			// wording is what must be right.
			if got = d.ecs(acct); got.status != http.StatusServiceUnavailable || !strings.Contains(string(got.body), "were removed (hopd keys rm)") {
				return acct + ": " + got.shown()
			}
			return ""
		})
		if got.took > time.Second {
			t.Errorf("%s: the 503 took %s; it must be fast", acct, got.took)
		}
	}
	if n := d.proxy.Count("AssumeRole") - assumed; n != 0 {
		t.Errorf("%d AssumeRole calls after the keys were removed", n)
	}
	// Keys stored again: hopd serves again without a restart.
	d.setKeys(iamKeyID, iamSecret)
	d.waitECS("staging")
}
