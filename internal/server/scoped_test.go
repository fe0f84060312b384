package server

import (
	"strings"
	"testing"
	"time"
)

func TestScopedTokensExpireAndRevoke(t *testing.T) {
	var ts scopedTokens
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	tok := ts.mint("production", time.Hour, now)
	if !strings.HasPrefix(tok.Token, scopedPrefix) || len(tok.Token) != len(scopedPrefix)+64 || !tok.Expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("minted %+v", tok)
	}
	for _, tc := range []struct {
		at   time.Duration
		want bool
	}{{0, true}, {59 * time.Minute, true}, {time.Hour, false}, {0, false}} {
		// Once seen expired it is gone, even for an earlier clock.
		acct, ok := ts.account(tok.Token, now.Add(tc.at))
		if ok != tc.want || ok && acct != "production" {
			t.Errorf("at +%s: account %q, %v; want live %v", tc.at, acct, ok, tc.want)
		}
	}
	other := ts.mint("staging", time.Hour, now)
	if !ts.revoke(other.Token) || ts.revoke(other.Token) {
		t.Error("revoke: want true once, then false")
	}
	if _, ok := ts.account(other.Token, now); ok {
		t.Error("a revoked token still reads its account")
	}
	if _, ok := ts.account(scopedPrefix+strings.Repeat("0", 64), now); ok {
		t.Error("a made-up token reads an account")
	}
}
