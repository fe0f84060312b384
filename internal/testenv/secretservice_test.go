package testenv

import "testing"

// The test's own keychain can be locked, unlocked, stopped and started
// again, and it is the test's own: the process's Keyring is not involved.
func TestOwnSecretService(t *testing.T) {
	t.Parallel()
	s := OwnSecretService(t)
	conn := s.connect(t)
	defer conn.Close()
	locked := func() bool {
		t.Helper()
		v, err := conn.Object(secretsName, loginCollection).GetProperty("org.freedesktop.Secret.Collection.Locked")
		if err != nil {
			t.Fatalf("reading whether the login keyring is locked: %v", err)
		}
		return v.Value().(bool)
	}
	running := func() bool {
		t.Helper()
		var owned bool
		if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, secretsName).Store(&owned); err != nil {
			t.Fatal(err)
		}
		return owned
	}

	if locked() {
		t.Fatal("the login keyring is locked after OwnSecretService; want it unlocked")
	}
	s.Lock(t)
	if !locked() {
		t.Fatal("the login keyring is unlocked after Lock")
	}
	s.Unlock(t)
	if locked() {
		t.Fatal("the login keyring is still locked after Unlock")
	}
	if n := s.Items(t, "hopd-testenv", "nobody"); n != 0 {
		t.Errorf("Items found %d items in a fresh keyring", n)
	}

	s.Stop()
	if running() {
		t.Fatal("the Secret Service still answers after Stop (did the bus start it again?)")
	}
	s.Start(t)
	if !running() || locked() {
		t.Fatalf("after Start: running %v, locked %v; want an unlocked Secret Service", running(), locked())
	}
}
