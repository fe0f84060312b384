package broker_test

import (
	"context"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/broker"
)

func TestAccountsInUseAreRefreshedInTheBackground(t *testing.T) {
	_, proxy, f := stsEnv(t)
	b := newBroker(t, testConfig(t, threeAccounts), newMemKeys("michael"), f, func(o *broker.Options) {
		// One-hour credentials enter the refresh window 3 s after they are
		// fetched, so the timer fires soon. (Credentials that are due as
		// they arrive wait longer, to keep STS calls few: see schedule.)
		o.RefreshLead = time.Hour - 3*time.Second
		o.Floor = time.Minute
	})
	first, err := b.Credentials(context.Background(), "production")
	if err != nil {
		t.Fatal(err)
	}
	// The proxy counts a call when it arrives; the new credentials land
	// when moto answers, so poll for them.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		next, err := b.Credentials(context.Background(), "production")
		if err != nil {
			t.Fatal(err)
		}
		if next.AccessKeyID != first.AccessKeyID {
			if n := proxy.Count("AssumeRole"); n < 2 {
				t.Errorf("new credentials with only %d AssumeRole calls", n)
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the account in use was not refreshed in the background (%d AssumeRole calls)", proxy.Count("AssumeRole"))
}

func TestIdleAccountsAreNotRefreshed(t *testing.T) {
	_, proxy, f := stsEnv(t)
	clk := &clock{}
	b := newBroker(t, testConfig(t, threeAccounts), newMemKeys("michael"), f, func(o *broker.Options) {
		o.Now = clk.Now
		o.RefreshLead = time.Hour - 300*time.Millisecond
		o.Floor = time.Minute
		o.IdleAfter = time.Minute
	})
	if _, err := b.Credentials(context.Background(), "production"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Minute) // nobody asked since: the account is idle
	time.Sleep(1500 * time.Millisecond)
	if n := proxy.Count("AssumeRole"); n != 1 {
		t.Errorf("AssumeRole called %d times for an idle account, want 1", n)
	}
}

func TestConfigChangeKeepsUnchangedAccounts(t *testing.T) {
	_, proxy, f := stsEnv(t)
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
	before := proxy.Count("AssumeRole")
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
	if got := proxy.Count("AssumeRole") - before; got != 1 {
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
