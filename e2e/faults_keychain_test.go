package e2e_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/testenv"
)

// startOwnKeychain starts a daemon whose keychain is a gnome-keyring of its
// own, which the test may stop, lock and unlock without touching the
// keychain of the other tests.
func startOwnKeychain(t *testing.T, opts options) (*daemon, *testenv.SecretService) {
	t.Helper()
	ss := testenv.OwnSecretService(t)
	opts.keyring = ss.Env()
	d := newDaemon(t, opts)
	d.WriteConfig(d.config(d.accounts))
	d.setKeys(iamKeyID, iamSecret)
	d.start()
	return d, ss
}

// restart stops the daemon and starts it again with the same everything.
func (d *daemon) restart() {
	d.t.Helper()
	d.stop()
	d.start()
}

// keysKept fails the test unless the keychain still holds the user's keys
// (and, with session, the cached MFA session).
func keysKept(t *testing.T, ss *testenv.SecretService, d *daemon, session bool) {
	t.Helper()
	if n := ss.Items(t, "hopd", d.user); n != 1 {
		t.Errorf("the keychain holds %d items for user %s's keys after the fault; want 1: hopd must never lose the keys", n, d.user)
	}
	if n := ss.Items(t, "hopd", d.user+"/session"); session && n != 1 {
		t.Errorf("the keychain holds %d cached sessions for user %s after the fault; want 1", n, d.user)
	}
}

// The keychain unreachable (gnome-keyring stopped). hopd must keep serving
// the credentials it holds and start new accounts with the session it
// holds, since neither needs the keychain; started while it is gone, it
// must run and answer fast with a 503 that names the keychain; once the
// keychain is back, it must serve by itself, and the keys must be there.
func TestFaultKeychainUnreachable(t *testing.T) {
	t.Parallel()
	d, ss := startOwnKeychain(t, options{accounts: threeAccounts[:2]})
	w := watchDaemon(t, d, nil)
	held := d.waitECS("production")

	ss.Stop()
	if got := w.mustECS("production"); got.AccessKeyID != held.AccessKeyID {
		t.Fatalf("with the keychain gone ECS served key %s; want the held %s", got.AccessKeyID, held.AccessKeyID)
	}
	w.serving("staging", 10*time.Second)

	d.restart()
	w.unavailable("production", "keychain")

	ss.Start(t)
	d.recovers("production", 0, 30*time.Second)
	w.mustECS("production")
	keysKept(t, ss, d, true)
}

// The keychain locked, with a valid MFA session cached in it. hopd must
// keep serving the credentials it holds, and start new accounts with the
// session it holds; started while the keychain is locked, it must answer
// fast with a 503 that names the keychain, and not ask for an MFA code (a
// valid session is cached); once the keychain is unlocked it must serve by
// itself with that session: no new code, no GetSessionToken. The keys and
// the session stay in the keychain.
func TestFaultKeychainLocked(t *testing.T) {
	t.Parallel()
	d, ss := startOwnKeychain(t, options{accounts: threeAccounts[:2], mfa: true})
	w := watchDaemon(t, d, nil)
	d.mustRun("mfa", "123456")
	held := d.waitECS("production")

	ss.Lock(t)
	if got := w.mustECS("production"); got.AccessKeyID != held.AccessKeyID {
		t.Fatalf("with the keychain locked ECS served key %s; want the held %s", got.AccessKeyID, held.AccessKeyID)
	}
	w.serving("staging", 10*time.Second)

	d.restart()
	d.proxy.Reset()
	msg := w.unavailable("production", "keychain")
	if strings.Contains(msg, "hopd mfa") {
		t.Errorf("with the keychain locked hopd asks for an MFA code (%q), though a valid session is cached in the keychain", msg)
	}

	ss.Unlock(t)
	d.recovers("production", 0, 30*time.Second)
	w.mustECS("production")
	if n := d.proxy.Count("GetSessionToken"); n != 0 {
		t.Errorf("after the unlock hopd called GetSessionToken %d times; want 0: the cached session is valid", n)
	}
	keysKept(t, ss, d, true)
}
