package discover_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hopd/hopd/internal/discover"
)

// fakeLister is Identity Center's portal at the discoverer's seam.
type fakeLister struct {
	mu    sync.Mutex
	found []discover.SSOAccount
	err   error
	calls int
}

func (f *fakeLister) Assignments(_ context.Context, sso string) ([]discover.SSOAccount, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if sso != "acme" {
		return nil, errors.New("asked for " + sso)
	}
	return append([]discover.SSOAccount(nil), f.found...), f.err
}

func TestSSODiscovererListsKeepsAndCaches(t *testing.T) {
	cacheFile := filepath.Join(t.TempDir(), "sso-accounts.json")
	lister := &fakeLister{found: []discover.SSOAccount{
		{ID: "222222222222", Name: "Staging", Roles: []string{"ReadOnlyAccess", "AdministratorAccess"}},
		{ID: "111111111111", Name: "Production", Roles: []string{"ReadOnlyAccess"}},
	}}
	cfg := parse(t, acme)
	d := discover.NewSSO(cfg, discover.SSOOptions{Lister: lister, CacheFile: cacheFile})
	changes := 0
	d.OnChange(func() { changes++ })

	if err := d.Refresh(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	got := d.Accounts()["acme"]
	if len(got) != 2 || got[0].Name != "Production" || got[1].Roles[0] != "AdministratorAccess" {
		t.Fatalf("accounts = %+v, want both, sorted by name, roles sorted", got)
	}
	st := d.Status()
	if len(st) != 1 || st[0].Accounts != 2 || st[0].Roles != 3 || st[0].LastRefresh.IsZero() {
		t.Errorf("status = %+v", st)
	}

	// A failed listing keeps the last one and says why.
	lister.mu.Lock()
	lister.err = errors.New("sign in to IAM Identity Center: `hopd sso login acme`")
	lister.mu.Unlock()
	if err := d.Refresh(context.Background(), "acme"); err == nil {
		t.Fatal("a failed listing returned no error")
	}
	if len(d.Accounts()["acme"]) != 2 || d.Status()[0].LastError == "" {
		t.Errorf("after a failure: accounts %v, status %+v", d.Accounts(), d.Status())
	}
	if changes != 1 {
		t.Errorf("OnChange called %d times, want 1", changes)
	}

	// A new hopd starts with the cached listing, before any call.
	lister2 := &fakeLister{}
	d2 := discover.NewSSO(cfg, discover.SSOOptions{Lister: lister2, CacheFile: cacheFile})
	if len(d2.Accounts()["acme"]) != 2 || lister2.calls != 0 {
		t.Errorf("from the cache: %v after %d calls", d2.Accounts(), lister2.calls)
	}

	// Another start URL is another directory: its accounts are listed anew.
	other := parse(t, `
[[sso]]
name = "acme"
start_url = "https://other.awsapps.com/start"
region = "eu-west-1"
`)
	d2.SetConfig(other)
	if n := len(d2.Accounts()["acme"]); n != 0 {
		t.Errorf("after the start URL changed, %d accounts stayed", n)
	}
}
