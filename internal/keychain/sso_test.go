package keychain

import (
	"bytes"
	"errors"
	"testing"

	"github.com/zalando/go-keyring"
)

func TestSecretServiceSSOItemsInParts(t *testing.T) {
	t.Parallel()
	kc := realKeychain(t)
	if _, err := kc.SSO("acme", "token"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("before SetSSO: %v, want ErrNotFound", err)
	}
	for _, size := range []int{10, maxItemBytes, maxItemBytes + 1, 3*maxItemBytes + 7} {
		data := bytes.Repeat([]byte("t0ken-"), size/6+1)[:size]
		if err := kc.SetSSO("acme", "token", data); err != nil {
			t.Fatalf("SetSSO(%d bytes): %v", size, err)
		}
		got, err := kc.SSO("acme", "token")
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("SSO after storing %d bytes: %d bytes, %v", size, len(got), err)
		}
	}
	// The other part and other names are apart.
	if _, err := kc.SSO("acme", "client"); !errors.Is(err, ErrNotFound) {
		t.Errorf("client part: %v, want ErrNotFound", err)
	}
	// A missing piece reads as not found and clears the item.
	if err := keyring.Delete(kc.service, ssoItem("acme", "token")+"#2"); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.SSO("acme", "token"); !errors.Is(err, ErrNotFound) {
		t.Errorf("with a piece missing: %v, want ErrNotFound", err)
	}
	if _, err := keyring.Get(kc.service, ssoItem("acme", "token")); err != keyring.ErrNotFound {
		t.Errorf("the broken item was kept: %v", err)
	}
	if err := kc.SetSSO("acme", "token", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := kc.DeleteSSO("acme", "token"); err != nil {
		t.Fatal(err)
	}
	if err := kc.DeleteSSO("acme", "token"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
}
