package keychain

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/hopd/hopd/internal/testenv"
)

// These tests run against a real Secret Service (gnome-keyring on a private
// bus, started by testenv), which keyring.MockInit would replace for the
// whole process; the tests against the mock live in ./mocktest for that
// reason.

func TestMain(m *testing.M) { testenv.Main(m) }

// realKeychain returns a Keychain on the test keyring under a service name
// no other test uses.
func realKeychain(t *testing.T) *Keychain {
	t.Helper()
	testenv.Keyring(t)
	b := make([]byte, 6)
	rand.Read(b)
	service := "hopd-test-" + hex.EncodeToString(b)
	t.Cleanup(func() { _ = keyring.DeleteAll(service) })
	return NewService(service)
}

func TestSecretServiceKeys(t *testing.T) {
	t.Parallel()
	kc := realKeychain(t)

	_, err := kc.Keys("michael")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Keys before SetKeys: %v; want ErrNotFound", err)
	}
	if want := "no keys stored for user \"michael\": run `hopd keys set michael`"; err.Error() != want {
		t.Errorf("error = %q; want %q", err, want)
	}

	want := Keys{goodID, goodSecret}
	if err := kc.SetKeys("michael", want); err != nil {
		t.Fatalf("SetKeys: %v", err)
	}
	if got, err := kc.Keys("michael"); err != nil || got != want {
		t.Fatalf("Keys = %+v, %v; want what was stored", got, err)
	}

	// Storing again replaces, rather than adding a second item.
	newer := Keys{"AKIAI44QH8DHBEXAMPLE", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"}
	if err := kc.SetKeys("michael", newer); err != nil {
		t.Fatalf("SetKeys again: %v", err)
	}
	if got, err := kc.Keys("michael"); err != nil || got != newer {
		t.Fatalf("Keys after replacing = %+v, %v; want the newer keys", got, err)
	}

	if err := kc.DeleteKeys("michael"); err != nil {
		t.Fatalf("DeleteKeys: %v", err)
	}
	if _, err := kc.Keys("michael"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Keys after DeleteKeys: %v; want ErrNotFound", err)
	}
	if err := kc.DeleteKeys("michael"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("DeleteKeys with nothing stored: %v; want ErrNotFound", err)
	}
}

// The item is where other tools (and hopd's own child processes) look for
// it: service and user name as attributes, compact JSON as the secret.
func TestSecretServiceItemLayout(t *testing.T) {
	t.Parallel()
	kc := realKeychain(t)
	if err := kc.SetKeys("michael", Keys{goodID, goodSecret}); err != nil {
		t.Fatalf("SetKeys: %v", err)
	}
	if err := kc.SetSession("michael", testSession(900)); err != nil {
		t.Fatalf("SetSession: %v", err)
	}
	raw, err := keyring.Get(kc.service, "michael")
	if err != nil || !strings.HasPrefix(raw, `{"k":"AKIA`) {
		t.Errorf("keys item = %.10q..., %v; want compact JSON", raw, err)
	}
	raw, err = keyring.Get(kc.service, "michael/session")
	if err != nil || !strings.HasPrefix(raw, `{"k":"ASIA`) {
		t.Errorf("session item = %.10q..., %v; want compact JSON", raw, err)
	}
}

func TestSecretServiceRefusesInvalidKeys(t *testing.T) {
	t.Parallel()
	kc := realKeychain(t)
	err := kc.SetKeys("michael", Keys{"ASIAIOSFODNN7EXAMPLE", goodSecret})
	if err == nil || !strings.Contains(err.Error(), "must start with AKIA") {
		t.Fatalf("SetKeys with a temporary key id: %v; want a refusal", err)
	}
	if _, err := keyring.Get(kc.service, "michael"); err != keyring.ErrNotFound {
		t.Fatalf("after a refused SetKeys the keychain holds an item (%v)", err)
	}
}

func TestSecretServiceSession(t *testing.T) {
	t.Parallel()
	kc := realKeychain(t)

	if _, err := kc.Session("michael"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Session before SetSession: %v; want ErrNotFound", err)
	}
	want := testSession(1000) // AWS session tokens run to about 1000 bytes
	if err := kc.SetSession("michael", want); err != nil {
		t.Fatalf("SetSession: %v", err)
	}
	got, err := kc.Session("michael")
	if err != nil {
		t.Fatalf("Session: %v", err)
	}
	if !got.Expiration.Equal(want.Expiration) || got.SessionToken != want.SessionToken ||
		got.AccessKeyID != want.AccessKeyID || got.SecretAccessKey != want.SecretAccessKey {
		t.Fatalf("Session = %+v; want %+v", got, want)
	}

	if err := kc.DeleteSession("michael"); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	if _, err := kc.Session("michael"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Session after DeleteSession: %v; want ErrNotFound", err)
	}
	if err := kc.DeleteSession("michael"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("DeleteSession with nothing cached: %v; want ErrNotFound", err)
	}
}

func TestSecretServiceRefusesOversizedSession(t *testing.T) {
	t.Parallel()
	kc := realKeychain(t)
	err := kc.SetSession("michael", testSession(2600))
	if err == nil || !strings.Contains(err.Error(), "2560") {
		t.Fatalf("SetSession with a 2600-byte token: %v; want a refusal naming the 2560-byte cap", err)
	}
	if strings.Contains(err.Error(), goodSecret[:8]) || strings.Contains(err.Error(), "TTTT") {
		t.Errorf("error %q shows the session's secrets", err)
	}
	if _, err := kc.Session("michael"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Session after a refused SetSession: %v; want ErrNotFound", err)
	}
}

func TestSecretServiceDeletesUnreadableSession(t *testing.T) {
	t.Parallel()
	kc := realKeychain(t)
	if err := keyring.Set(kc.service, "michael/session", "not json"); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.Session("michael"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Session with an unreadable item: %v; want ErrNotFound", err)
	}
	if _, err := keyring.Get(kc.service, "michael/session"); err != keyring.ErrNotFound {
		t.Fatalf("the unreadable session item is still there (%v)", err)
	}
}

func TestSecretServiceDeleteKeysDeletesSession(t *testing.T) {
	t.Parallel()
	kc := realKeychain(t)
	if err := kc.SetKeys("michael", Keys{goodID, goodSecret}); err != nil {
		t.Fatal(err)
	}
	if err := kc.SetSession("michael", testSession(500)); err != nil {
		t.Fatal(err)
	}
	if err := kc.DeleteKeys("michael"); err != nil {
		t.Fatalf("DeleteKeys: %v", err)
	}
	if _, err := kc.Session("michael"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Session after DeleteKeys: %v; want ErrNotFound", err)
	}
}

// Users are kept apart: one user's items are not another's.
func TestSecretServiceUsersAreSeparate(t *testing.T) {
	t.Parallel()
	kc := realKeychain(t)
	if err := kc.SetKeys("alice", Keys{goodID, goodSecret}); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.Keys("bob"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Keys(bob) after storing alice's: %v; want ErrNotFound", err)
	}
	if _, err := kc.Session("alice"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Session(alice) with only keys stored: %v; want ErrNotFound", err)
	}
}
