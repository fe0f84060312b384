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

// These tests run on synctest's fake clock with the default options: a
// 30 min floor, a 32 min refresh lead, one-hour credentials and an hour
// before an account counts as idle. Timers fire when the clock gets there,
// so "nothing happened by then" is a fact, not a guess.

func TestAccountsInUseAreRefreshedInTheBackground(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSTS()
		b := newBroker(t, testConfig(t, threeAccounts), newMemKeys("michael"), f, nil)
		ctx := context.Background()
		first, err := b.Credentials(ctx, "production")
		if err != nil {
			t.Fatal(err)
		}
		advance(28*time.Minute - time.Second) // 32 min 1 s left: not due yet
		if _, err := b.Credentials(ctx, "production"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if n := f.Count("AssumeRole"); n != 1 {
			t.Fatalf("%d AssumeRole calls before the refresh lead; want 1", n)
		}
		advance(time.Second) // 32 min left: the refresh lead
		if n := f.Count("AssumeRole"); n != 2 {
			t.Fatalf("%d AssumeRole calls at the refresh lead; want 2: the background refresh", n)
		}
		next, err := b.Credentials(ctx, "production")
		if err != nil {
			t.Fatal(err)
		}
		if next.AccessKeyID == first.AccessKeyID || next.Expiration.Sub(first.Expiration) != 28*time.Minute {
			t.Errorf("after the refresh the broker serves %s expiring %s; want new credentials 28 min younger than %s",
				next.AccessKeyID, next.Expiration, first.Expiration)
		}
		if n := f.Count("AssumeRole"); n != 2 {
			t.Errorf("%d AssumeRole calls after the refresh; the request must be answered from the cache", n)
		}
	})
}

func TestIdleAccountsAreNotRefreshed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSTS()
		b := newBroker(t, testConfig(t, threeAccounts), newMemKeys("michael"), f, nil)
		ctx := context.Background()
		if _, err := b.Credentials(ctx, "production"); err != nil {
			t.Fatal(err)
		}
		// Asked once at 0: refreshed at 28 and 56 min, when it was in use
		// within the hour; at 84 min it is idle, and stays so.
		advance(5 * time.Hour)
		calls := f.Calls("AssumeRole")
		if len(calls) != 3 || calls[1].Sub(calls[0]) != 28*time.Minute || calls[2].Sub(calls[1]) != 28*time.Minute {
			t.Fatalf("AssumeRole calls at %v; want 3, 28 min apart, then none once idle", calls)
		}
		if s := accountStatus(t, b, "production"); s.State != api.AccountExpired || s.Refreshes != 3 {
			t.Errorf("the idle account is %s after %d refreshes; want expired after 3", s.State, s.Refreshes)
		}
		// Asked again, it is fetched and kept fresh again.
		if _, err := b.Credentials(ctx, "production"); err != nil {
			t.Fatal(err)
		}
		advance(28 * time.Minute)
		if n := f.Count("AssumeRole"); n != 5 {
			t.Errorf("%d AssumeRole calls after the idle account was used again; want 5", n)
		}
		if s := accountStatus(t, b, "staging"); s.State != api.AccountIdle || s.Refreshes != 0 {
			t.Errorf("an account nobody asked for is %s after %d refreshes; want idle after none", s.State, s.Refreshes)
		}
	})
}

func TestCredentialsUnderTheFloorAreNeverServed(t *testing.T) {
	for _, tc := range []struct {
		name string
		left time.Duration
	}{
		{"expired", -time.Minute},
		{"short", 29 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFakeSTS()
				f.SetLifetime(func(time.Duration) time.Duration { return tc.left })
				b := newBroker(t, testConfig(t, threeAccounts), newMemKeys("michael"), f, nil)
				_, err := b.Credentials(context.Background(), "production")
				if _, ok := errors.AsType[*broker.UnavailableError](err); !ok || !strings.Contains(err.Error(), "clock") {
					t.Fatalf("STS giving credentials with %s left: err = %v, want *UnavailableError naming the clock", tc.left, err)
				}
				if s := accountStatus(t, b, "production"); s.State != api.AccountError || !s.Expires.IsZero() {
					t.Errorf("the account is %s, expiring %s; want error, holding nothing", s.State, s.Expires)
				}
				// Refused credentials are a failure: retried with backoff,
				// not in a loop.
				advance(time.Minute)
				// Waits of 2.5-5 s, 5-10 s, 10-20 s, 20-40 s: 4 or 5 calls.
				if n := f.Count("AssumeRole"); n < 4 || n > 5 {
					t.Errorf("%d AssumeRole calls in a minute of refusing credentials; want 4 or 5, with backoff", n)
				}
			})
		})
	}
}

func TestCredentialsDueOnArrivalAreRefreshedHalfwayToTheFloor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSTS()
		// 31 min: over the floor, inside the refresh lead, as when STS's
		// clock is half an hour ahead of ours.
		f.SetLifetime(func(time.Duration) time.Duration { return 31 * time.Minute })
		b := newBroker(t, testConfig(t, threeAccounts), newMemKeys("michael"), f, nil)
		ctx := context.Background()
		if _, err := b.Credentials(ctx, "production"); err != nil {
			t.Fatalf("credentials over the floor were refused: %v", err)
		}
		// Halfway to the floor is 30 s; requests meanwhile do not start
		// a refresh of their own.
		for range 29 {
			advance(time.Second)
			if _, err := b.Credentials(ctx, "production"); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if n := f.Count("AssumeRole"); n != 1 {
			t.Fatalf("%d AssumeRole calls in the first 29 s; want 1: due credentials must not make STS calls in a loop", n)
		}
		advance(time.Second)
		if n := f.Count("AssumeRole"); n != 2 {
			t.Errorf("%d AssumeRole calls at 30 s; want 2", n)
		}
	})
}

func TestFailedRefreshesBackOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSTS()
		b := newBroker(t, testConfig(t, threeAccounts), newMemKeys("michael"), f, nil)
		ctx := context.Background()
		if _, err := b.Credentials(ctx, "production"); err != nil {
			t.Fatal(err) // the session; the role calls below fail
		}
		f.SetDown(true)
		advance(28 * time.Minute) // the background refresh fails
		// Clients asking meanwhile are served the held credentials (above
		// the floor) and start no STS call of their own.
		for range 10 {
			if _, err := b.Credentials(ctx, "production"); err != nil {
				t.Fatal(err)
			}
		}
		advance(20 * time.Minute)
		calls := f.Calls("AssumeRole")[1:] // the failing ones
		if len(calls) < 8 {
			t.Fatalf("%d failing AssumeRole calls in 20 min; want the retries to go on", len(calls))
		}
		// Each wait is between half and all of its step: 5 s doubling, up
		// to 5 min.
		for i := 1; i < len(calls); i++ {
			step := min(5*time.Second<<(i-1), 5*time.Minute)
			if gap := calls[i].Sub(calls[i-1]); gap < step/2 || gap >= step {
				t.Errorf("retry %d came %s after the one before; want between %s and %s", i, gap, step/2, step)
			}
		}
		f.SetDown(false)
		advance(5 * time.Minute)
		if s := accountStatus(t, b, "production"); s.State != api.AccountFresh || s.LastError != "" {
			t.Errorf("5 min after STS came back the account is %s (%q); want fresh, by itself", s.State, s.LastError)
		}
	})
}

func TestConfigChangeKeepsUnchangedAccounts(t *testing.T) {
	f := newFakeSTS()
	b := newBroker(t, testConfig(t, threeAccounts), newMemKeys("michael"), f, nil)
	ctx := context.Background()
	for _, a := range []string{"production", "staging"} {
		if _, err := b.Credentials(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	// staging moves to another account id; production only changes colour.
	b.SetConfig(testConfig(t, `
[user]
name = "michael"
[[account]]
name = "production"
id = "222222222222"
color = "green"
[[account]]
name = "staging"
id = "555555555555"
`))
	before := f.Count("AssumeRole")
	if _, err := b.Credentials(ctx, "production"); err != nil {
		t.Fatal(err)
	}
	c, err := b.Credentials(ctx, "staging")
	if err != nil {
		t.Fatal(err)
	}
	if c.AccountID != "555555555555" {
		t.Errorf("staging credentials are for %s, want the new id", c.AccountID)
	}
	if got := f.Count("AssumeRole") - before; got != 1 {
		t.Errorf("%d AssumeRole calls after the change, want 1 (only the changed account)", got)
	}
	if _, err := b.Credentials(ctx, "playground"); err == nil {
		t.Error("a removed account still serves credentials")
	}
	st := b.Status()
	if len(st.Accounts) != 2 || st.Accounts[0].Color != "#008000" {
		t.Errorf("status after the change = %+v", st.Accounts)
	}
}
