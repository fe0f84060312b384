// Package mocktest_test checks package keychain against go-keyring's
// in-memory mock, so that its logic is tested on machines without a
// Secret Service too. It is a package of its own because keyring.MockInit
// replaces the keyring backend for the whole test process, which would
// silently turn package keychain's Secret Service tests into mock tests.
// The tests here share that global mock, so none of them runs in parallel.
package mocktest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/hopd/hopd/internal/keychain"
)

const (
	goodID     = "AKIAIOSFODNN7EXAMPLE"
	goodSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func session(tokenLen int) keychain.Session {
	return keychain.Session{
		AccessKeyID:     "ASIAIOSFODNN7EXAMPLE",
		SecretAccessKey: goodSecret,
		SessionToken:    strings.Repeat("T", tokenLen),
		Expiration:      time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

func TestKeysRoundTrip(t *testing.T) {
	keyring.MockInit()
	kc := keychain.New()
	want := keychain.Keys{AccessKeyID: goodID, SecretAccessKey: goodSecret}
	if err := kc.SetKeys("michael", want); err != nil {
		t.Fatalf("SetKeys: %v", err)
	}
	if got, err := kc.Keys("michael"); err != nil || got != want {
		t.Fatalf("Keys = %+v, %v; want what was stored", got, err)
	}
	if raw, _ := keyring.Get("hopd", "michael"); raw != `{"k":"`+goodID+`","s":"`+goodSecret+`"}` {
		t.Errorf(`item under service "hopd", user "michael" = %q; want compact JSON`, raw)
	}
	if err := kc.DeleteKeys("michael"); err != nil {
		t.Fatalf("DeleteKeys: %v", err)
	}
	if _, err := kc.Keys("michael"); !errors.Is(err, keychain.ErrNotFound) {
		t.Fatalf("Keys after DeleteKeys: %v; want ErrNotFound", err)
	}
}

func TestInvalidKeysAreNotStored(t *testing.T) {
	keyring.MockInit()
	kc := keychain.New()
	err := kc.SetKeys("michael", keychain.Keys{AccessKeyID: goodID, SecretAccessKey: goodSecret[:30]})
	if err == nil {
		t.Fatal("SetKeys accepted a 30-character secret")
	}
	if strings.Contains(err.Error(), goodSecret[:8]) {
		t.Errorf("error %q shows the secret", err)
	}
	if _, err := keyring.Get("hopd", "michael"); err != keyring.ErrNotFound {
		t.Fatalf("after a refused SetKeys the keychain holds an item (%v)", err)
	}
}

// Keys edited by hand into something else are reported, not deleted: they
// cannot be had again the way a session can.
func TestUnusableKeysItemIsKept(t *testing.T) {
	keyring.MockInit()
	if err := keyring.Set("hopd", "michael", "my secret password"); err != nil {
		t.Fatal(err)
	}
	_, err := keychain.New().Keys("michael")
	if err == nil || errors.Is(err, keychain.ErrNotFound) {
		t.Fatalf("Keys with an unusable item: %v; want an error other than ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), "hopd keys set michael") || strings.Contains(err.Error(), "password") {
		t.Errorf("error %q should say how to fix it without showing the item", err)
	}
	if _, err := keyring.Get("hopd", "michael"); err != nil {
		t.Errorf("the unusable keys item was deleted (%v)", err)
	}
}

func TestSessionRoundTrip(t *testing.T) {
	keyring.MockInit()
	kc := keychain.NewService("hopd-test")
	want := session(1000)
	if err := kc.SetSession("michael", want); err != nil {
		t.Fatalf("SetSession: %v", err)
	}
	got, err := kc.Session("michael")
	if err != nil || !got.Expiration.Equal(want.Expiration) || got.SessionToken != want.SessionToken {
		t.Fatalf("Session = %+v, %v; want what was stored", got, err)
	}
	if _, err := keyring.Get("hopd-test", "michael/session"); err != nil {
		t.Errorf(`no item "michael/session" under the service given to NewService: %v`, err)
	}
}

func TestOversizedSessionIsRefused(t *testing.T) {
	keyring.MockInit()
	kc := keychain.New()
	err := kc.SetSession("michael", session(2600))
	if err == nil || !strings.Contains(err.Error(), "2560") {
		t.Fatalf("SetSession with a 2600-byte token: %v; want a refusal naming the cap", err)
	}
	if _, err := kc.Session("michael"); !errors.Is(err, keychain.ErrNotFound) {
		t.Fatalf("Session after a refused SetSession: %v; want ErrNotFound", err)
	}
}

func TestIncompleteSessionIsRefused(t *testing.T) {
	keyring.MockInit()
	s := session(100)
	s.SessionToken = ""
	if err := keychain.New().SetSession("michael", s); err == nil {
		t.Fatal("SetSession accepted a session without a token")
	}
}

func TestUnreadableSessionIsDeleted(t *testing.T) {
	keyring.MockInit()
	if err := keyring.Set("hopd", "michael/session", `{"k":"ASIA`); err != nil {
		t.Fatal(err)
	}
	if _, err := keychain.New().Session("michael"); !errors.Is(err, keychain.ErrNotFound) {
		t.Fatalf("Session with an unreadable item: %v; want ErrNotFound", err)
	}
	if _, err := keyring.Get("hopd", "michael/session"); err != keyring.ErrNotFound {
		t.Fatalf("the unreadable item is still there (%v)", err)
	}
}

func TestDeleteKeysDeletesSession(t *testing.T) {
	keyring.MockInit()
	kc := keychain.New()
	if err := kc.SetKeys("michael", keychain.Keys{AccessKeyID: goodID, SecretAccessKey: goodSecret}); err != nil {
		t.Fatal(err)
	}
	if err := kc.SetSession("michael", session(100)); err != nil {
		t.Fatal(err)
	}
	if err := kc.DeleteKeys("michael"); err != nil {
		t.Fatalf("DeleteKeys: %v", err)
	}
	if _, err := kc.Session("michael"); !errors.Is(err, keychain.ErrNotFound) {
		t.Fatalf("Session after DeleteKeys: %v; want ErrNotFound", err)
	}
	if err := kc.DeleteKeys("michael"); !errors.Is(err, keychain.ErrNotFound) {
		t.Fatalf("DeleteKeys with nothing stored: %v; want ErrNotFound", err)
	}
}

func TestNotFoundErrorsSayWhatToDo(t *testing.T) {
	keyring.MockInit()
	_, err := keychain.New().Keys("michael")
	if want := "no keys stored for user \"michael\": run `hopd keys set michael`"; err == nil || err.Error() != want {
		t.Errorf("Keys error = %v; want %q", err, want)
	}
}

func TestBackendErrorsAreExplained(t *testing.T) {
	keyring.MockInitWithError(errors.New("org.freedesktop.DBus.Error.ServiceUnknown"))
	kc := keychain.New()
	_, err := kc.Keys("michael")
	if err == nil || errors.Is(err, keychain.ErrNotFound) {
		t.Fatalf("Keys with a failing keychain: %v; want a backend error", err)
	}
	if !strings.Contains(err.Error(), "keychain") || !strings.Contains(err.Error(), "ServiceUnknown") {
		t.Errorf("error %q should name the keychain and keep the cause", err)
	}
	err = kc.SetKeys("michael", keychain.Keys{AccessKeyID: goodID, SecretAccessKey: goodSecret})
	if err == nil || strings.Contains(err.Error(), goodSecret[:8]) {
		t.Errorf("SetKeys with a failing keychain: %v; want an error without the secret", err)
	}
}

func TestEmptyUserIsRefused(t *testing.T) {
	keyring.MockInit()
	if _, err := keychain.New().Keys(""); err == nil || errors.Is(err, keychain.ErrNotFound) {
		t.Errorf("Keys(\"\") = %v; want an error about the user name", err)
	}
}
