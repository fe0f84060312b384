package keychain

import (
	"strings"
	"testing"
	"time"
)

func testSession(tokenLen int) Session {
	return Session{
		AccessKeyID:     "ASIAIOSFODNN7EXAMPLE",
		SecretAccessKey: goodSecret,
		SessionToken:    strings.Repeat("T", tokenLen),
		Expiration:      time.Date(2030, 1, 2, 3, 4, 5, 600, time.UTC),
	}
}

func TestKeysItemRoundTrip(t *testing.T) {
	want := Keys{goodID, goodSecret}
	data := encodeKeys(want)
	if got := string(data); got != `{"k":"`+goodID+`","s":"`+goodSecret+`"}` {
		t.Errorf("keys item = %s; want compact JSON with short names", got)
	}
	got, err := decodeKeys(string(data))
	if err != nil || got != want {
		t.Errorf("decodeKeys = %+v, %v; want the keys back", got, err)
	}
}

func TestSessionItemRoundTrip(t *testing.T) {
	want := testSession(1000)
	data := encodeSession(want)
	if len(data) > maxItemBytes {
		t.Errorf("a session with a 1000-byte token takes %d bytes; the cap is %d", len(data), maxItemBytes)
	}
	got, err := decodeSession(string(data))
	if err != nil {
		t.Fatalf("decodeSession: %v", err)
	}
	if !got.Expiration.Equal(want.Expiration) {
		t.Errorf("expiration = %v; want %v", got.Expiration, want.Expiration)
	}
	got.Expiration = want.Expiration
	if got != want {
		t.Errorf("decodeSession = %+v; want %+v", got, want)
	}
}

func TestDecodeRefusesBadItems(t *testing.T) {
	for _, data := range []string{
		"", "garbage", `{"k":"x"}`,
		`{"k":"ASIA1234567890123456","s":"x","t":"y","e":"tomorrow"}`,
		`{"k":"ASIA1234567890123456","s":"x","e":"2030-01-01T00:00:00Z"}`,
	} {
		if _, err := decodeSession(data); err == nil {
			t.Errorf("decodeSession(%q) succeeded", data)
		}
	}
	secret := `{"k":"AKIAIOSFODNN7EXAMPLE","s":"` + goodSecret + `"` // truncated
	_, err := decodeKeys(secret)
	if err == nil {
		t.Fatal("decodeKeys accepted truncated JSON")
	}
	if strings.Contains(err.Error(), goodSecret[:8]) {
		t.Errorf("decodeKeys error %q shows the secret", err)
	}
}
