package broker_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/broker"
)

const mfaConfig = `
[user]
name = "michael"
mfa_serial = "arn:aws:iam::111111111111:mfa/michael"

[[account]]
name = "production"
id = "222222222222"

[[account]]
name = "staging"
id = "333333333333"
`

func TestMFACodeStartsOneSessionForEveryAccount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSTS()
		b := newBroker(t, testConfig(t, mfaConfig), newMemKeys("michael"), f, nil)
		ctx := context.Background()

		start := time.Now()
		_, err := b.Credentials(ctx, "production")
		if !errors.Is(err, broker.ErrNeedMFA) {
			t.Fatalf("before any code: err = %v, want ErrNeedMFA", err)
		}
		if elapsed := time.Since(start); elapsed != 0 {
			t.Errorf("asking for an MFA code took %s; it must answer at once, without waiting", elapsed)
		}
		if s := userState(b, "michael"); s != api.UserNeedsMFA {
			t.Errorf("user state = %q, want needs-mfa", s)
		}
		if f.Count("GetSessionToken") != 0 {
			t.Error("GetSessionToken was called without a code")
		}

		if err := b.SubmitMFA(ctx, "", "12345"); err == nil {
			t.Error("a 5-digit code was accepted")
		}
		if err := b.SubmitMFA(ctx, "", "123456"); err != nil {
			t.Fatal(err)
		}
		if s := userState(b, "michael"); s != api.UserOK {
			t.Errorf("after the code: user state = %q, want ok", s)
		}
		// The account asked for before the code is fetched at once, in the
		// background; the other on its first request.
		synctest.Wait()
		if n := f.Count("AssumeRole"); n != 1 {
			t.Errorf("%d AssumeRole calls right after the code; want 1, for the account in use", n)
		}
		for _, acct := range []string{"production", "staging"} {
			if _, err := b.Credentials(ctx, acct); err != nil {
				t.Fatalf("%s after the code: %v", acct, err)
			}
		}
		if n := f.Count("GetSessionToken"); n != 1 {
			t.Errorf("GetSessionToken called %d times, want 1 for every account", n)
		}
	})
}

// The mfa_process tests run a shell, so they stay out of synctest bubbles:
// a child process is not something a bubble's clock can wait for.

func TestMFAProcessSuppliesTheCode(t *testing.T) {
	f := newFakeSTS()
	cfg := testConfig(t, mfaConfig)
	cfg.Users[0].MFAProcess = "echo 654321"
	b := newBroker(t, cfg, newMemKeys("michael"), f, nil)
	if _, err := b.Credentials(context.Background(), "production"); err != nil {
		t.Fatal(err)
	}
	if n := f.Count("GetSessionToken"); n != 1 {
		t.Errorf("GetSessionToken called %d times, want 1", n)
	}
}

func TestMFAProcessPrintingGarbageAsksForACode(t *testing.T) {
	cfg := testConfig(t, mfaConfig)
	cfg.Users[0].MFAProcess = "echo hopd-garbage | rev"
	b := newBroker(t, cfg, newMemKeys("michael"), newFakeSTS(), nil)
	_, err := b.Credentials(context.Background(), "production")
	if !errors.Is(err, broker.ErrNeedMFA) {
		t.Fatalf("err = %v, want ErrNeedMFA", err)
	}
	if got := err.Error(); strings.Contains(got, "egabrag-dpoh") {
		t.Errorf("the error repeats what mfa_process printed: %s", got)
	}
}

func TestSubmitMFAWithoutSerialIsRefused(t *testing.T) {
	b := newBroker(t, testConfig(t, threeAccounts), newMemKeys("michael"), newFakeSTS(), nil)
	if err := b.SubmitMFA(context.Background(), "michael", "123456"); err == nil {
		t.Fatal("an MFA code was accepted for a user without mfa_serial")
	}
}

func TestValidMFACode(t *testing.T) {
	for code, want := range map[string]bool{
		"123456": true, "000000": true,
		"": false, "12345": false, "1234567": false, "12345a": false,
		" 12345": false, "١٢٣٤٥٦": false, // Arabic-Indic digits are not ASCII digits
	} {
		if got := broker.ValidMFACode(code); got != want {
			t.Errorf("ValidMFACode(%q) = %v; want %v", code, got, want)
		}
	}
}
