package discover

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Moto takes any AKIA key; every key lands in its default account, which
// is where the test creates the organization.
var testCreds = aws.Credentials{AccessKeyID: "AKIADISCOVERTEST0001", SecretAccessKey: "discoverTestSecret0123456789abcdefghijkl"}

// session stands in for the broker's SessionCredentials.
type session struct {
	mu  sync.Mutex
	err error
}

func (s *session) SessionCredentials(context.Context, string) (aws.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return testCreds, s.err
}

func awsNames(as []Account) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.AWSName)
	}
	sort.Strings(out)
	return out
}

func TestAgainstMoto(t *testing.T) {
	m := testenv.StartMoto(t)
	t.Setenv("AWS_ENDPOINT_URL", m.URL)
	api := NewOrgFactory()("eu-west-1", testCreds)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	o := testenv.NewOrganization(t, m.URL, testCreds)
	workloads := o.OU(o.Root, "Workloads")
	prodOU := o.OU(workloads, "Prod")
	sandbox := o.OU(o.Root, "Sandbox")
	ids := map[string]string{}
	for _, a := range []struct{ name, parent string }{
		{"Production", prodOU}, {"Production EU", prodOU}, {"Staging", workloads},
		{"Playground", sandbox}, {"Shared Services", ""}, {"Old", workloads},
	} {
		ids[a.name] = o.Account(a.name, a.parent)
	}
	o.Close("Old")

	t.Run("every active member account", func(t *testing.T) {
		got, err := listAccounts(ctx, api, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"Playground", "Production", "Production EU", "Shared Services", "Staging"}
		if !slices.Equal(awsNames(got), want) {
			t.Errorf("listed %v; want %v (no management account, no suspended one)", awsNames(got), want)
		}
		for _, a := range got {
			if a.ID != ids[a.AWSName] {
				t.Errorf("%s listed with id %s; moto says %s", a.AWSName, a.ID, ids[a.AWSName])
			}
		}
	})

	t.Run("OU filters", func(t *testing.T) {
		tests := []struct {
			ous  []string
			want []string
		}{
			{[]string{"Workloads"}, []string{"Production", "Production EU", "Staging"}},
			{[]string{"workloads/prod"}, []string{"Production", "Production EU"}},
			{[]string{"Prod"}, []string{"Production", "Production EU"}},
			{[]string{sandbox}, []string{"Playground"}},
			{[]string{sandbox, "Workloads/Prod", prodOU}, []string{"Playground", "Production", "Production EU"}},
			{[]string{o.Root}, []string{"Playground", "Production", "Production EU", "Shared Services", "Staging"}},
		}
		for _, tt := range tests {
			got, err := listAccounts(ctx, api, tt.ous)
			if err != nil {
				t.Errorf("ous %q: %v", tt.ous, err)
				continue
			}
			if !slices.Equal(awsNames(got), tt.want) {
				t.Errorf("ous %q listed %v; want %v", tt.ous, awsNames(got), tt.want)
			}
		}
		_, err := listAccounts(ctx, api, []string{"Workloads/Dev"})
		if err == nil || !strings.Contains(err.Error(), `no OU "Workloads/Dev"`) || !strings.Contains(err.Error(), `"Workloads/Prod"`) {
			t.Errorf("an unknown OU name: %v; want an error that names the OUs there are", err)
		}
		_, err = listAccounts(ctx, api, []string{"ou-zzzz-zzzzzzzz"})
		if err == nil || !strings.Contains(err.Error(), "ou-zzzz-zzzzzzzz") {
			t.Errorf("an unknown OU id: %v; want an error that names it", err)
		}
	})

	t.Run("discoverer", func(t *testing.T) {
		cacheFile := filepath.Join(t.TempDir(), "discovered-accounts.json")
		cfg := parseConfig(t, `exclude = ["Shared Services"]`)
		sess := &session{}
		d := New(cfg, Options{Session: sess, CacheFile: cacheFile, Logger: slog.New(slog.DiscardHandler)})
		if len(d.Accounts()) != 0 {
			t.Fatalf("a new Discoverer without a cache has accounts: %v", d.Accounts())
		}
		changes := make(chan []Account, 10)
		d.OnChange(func(as []Account) { changes <- as })

		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { d.Run(runCtx); close(done) }()
		defer func() { stop(); <-done }()

		// Without a cache Run lists at once.
		got := waitChange(t, changes)
		if want := []string{"Playground", "Production", "Production EU", "Staging"}; !slices.Equal(awsNames(got), want) {
			t.Errorf("first listing: %v; want %v", awsNames(got), want)
		}
		st := d.Status()
		if !st.Enabled || st.Accounts != 4 || st.LastRefresh.IsZero() || st.LastError != "" || !st.NextRefresh.After(st.LastRefresh) {
			t.Errorf("status after a listing: %+v", st)
		}

		// An account added in AWS appears after an on-demand refresh.
		ids["Analytics"] = o.Account("Analytics", workloads)
		if err := d.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		got = waitChange(t, changes)
		if !slices.Contains(awsNames(got), "Analytics") {
			t.Errorf("after adding Analytics and refreshing: %v", awsNames(got))
		}
		// A suspended account disappears.
		o.Close("Playground")
		if err := d.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if got = waitChange(t, changes); slices.Contains(awsNames(got), "Playground") {
			t.Errorf("a suspended account is still listed: %v", awsNames(got))
		}
		// A refresh that changes nothing calls no hook.
		if err := d.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case as := <-changes:
			t.Errorf("OnChange called although nothing changed: %v", awsNames(as))
		default:
		}

		// The session is missing: the last list stays and the reason is shown.
		sess.mu.Lock()
		sess.err = errors.New("an MFA code is needed for user michael: run `hopd mfa`")
		sess.mu.Unlock()
		err := d.Refresh(ctx)
		if err == nil || !strings.Contains(err.Error(), "hopd mfa") {
			t.Errorf("Refresh without a session: %v; want the broker's reason", err)
		}
		if len(d.Accounts()) != len(got) {
			t.Errorf("a failed refresh changed the list to %v", d.Accounts())
		}
		if st := d.Status(); !strings.Contains(st.LastError, "hopd mfa") || st.Accounts != len(got) {
			t.Errorf("status after a failed refresh: %+v", st)
		}
		// A failed attempt is retried later, not at once, unless the
		// settings change.
		d3 := New(cfg, Options{Session: sess, Logger: slog.New(slog.DiscardHandler)})
		if err := d3.Refresh(ctx); err == nil {
			t.Fatal("Refresh without a session succeeded")
		}
		if wait, due := d3.schedule(); due || wait < 20*time.Second {
			t.Errorf("right after a failure the next attempt is in %s (due %v); want a backoff", wait, due)
		}
		d3.SetConfig(parseConfig(t, `name_pattern = "Prod*"`))
		if _, due := d3.schedule(); !due {
			t.Error("after a failure and a change of settings no listing is due")
		}
		sess.mu.Lock()
		sess.err = nil
		sess.mu.Unlock()

		// A new Discoverer starts with the cached list, and does not list
		// again before it is due.
		d2 := New(cfg, Options{Session: sess, CacheFile: cacheFile, Logger: slog.New(slog.DiscardHandler)})
		if !slices.Equal(d2.Accounts(), d.Accounts()) {
			t.Errorf("from the cache: %v; want %v", d2.Accounts(), d.Accounts())
		}
		if wait, due := d2.schedule(); due || wait < time.Minute {
			t.Errorf("a fresh cache is due for a listing in %s (due %v); want not before the refresh interval", wait, due)
		}
		// Changed settings make it due at once.
		d2.SetConfig(parseConfig(t, `exclude = ["Staging"]`))
		if _, due := d2.schedule(); !due {
			t.Error("after the filters changed the cached list is not due for a listing")
		}

		// Moto is down: the last list stays, and the error says why.
		m.Stop()
		err = d.Refresh(ctx)
		if err == nil || !strings.Contains(err.Error(), "cannot reach AWS Organizations") {
			t.Errorf("Refresh with moto down: %v", err)
		}
		if len(d.Accounts()) != len(got) || d.Status().LastError == "" {
			t.Errorf("after an outage: %d accounts, status %+v; want %d and the error", len(d.Accounts()), d.Status(), len(got))
		}
	})
}

// parseConfig is a config with discovery on and extra [discover] lines.
func parseConfig(t *testing.T, extra string) *config.Config {
	t.Helper()
	return parse(t, fmt.Sprintf("[user]\nname = \"michael\"\nregion = \"eu-west-1\"\n[discover]\norganizations = true\n%s\n", extra))
}

func waitChange(t *testing.T, ch <-chan []Account) []Account {
	t.Helper()
	select {
	case as := <-ch:
		return as
	case <-time.After(time.Minute):
		t.Fatal("no OnChange within a minute")
		return nil
	}
}
