package broker_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/broker"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/keychain"
)

// The user's long-lived keys, as the fake STS knows them.
const (
	testKeyID  = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// memKeys is an in-memory KeyStore: the broker's tests are about STS, and
// the keychain has its own tests against a real Secret Service.
type memKeys struct {
	mu       sync.Mutex
	keys     map[string]keychain.Keys
	sessions map[string]keychain.Session
}

func newMemKeys(users ...string) *memKeys {
	m := &memKeys{keys: map[string]keychain.Keys{}, sessions: map[string]keychain.Session{}}
	for _, u := range users {
		m.keys[u] = keychain.Keys{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	}
	return m
}

func (m *memKeys) Keys(u string) (keychain.Keys, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[u]
	if !ok {
		return k, &notFound{"no keys stored for user " + u}
	}
	return k, nil
}

func (m *memKeys) setKeys(u string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys[u] = keychain.Keys{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
}

func (m *memKeys) Session(u string) (keychain.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[u]
	if !ok {
		return s, keychain.ErrNotFound
	}
	return s, nil
}

func (m *memKeys) SetSession(u string, s keychain.Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sessions[u] = s
	return nil
}

func (m *memKeys) DeleteSession(u string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, u)
	return nil
}

// notFound is a missing item with a sentence, as the keychain returns.
type notFound struct{ msg string }

func (e *notFound) Error() string        { return e.msg }
func (e *notFound) Is(target error) bool { return target == keychain.ErrNotFound }

func testConfig(t testing.TB, src string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("test.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

const threeAccounts = `
[user]
name = "michael"
region = "us-east-1"

[[account]]
name = "production"
id = "222222222222"

[[account]]
name = "staging"
id = "333333333333"
region = "eu-west-1"

[[account]]
name = "playground"
id = "444444444444"
role = "Admin"
`

func newBroker(t testing.TB, cfg *config.Config, keys broker.KeyStore, f *fakeSTS, mod func(*broker.Options)) *broker.Broker {
	t.Helper()
	opts := broker.Options{Keys: keys, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if f != nil {
		opts.STS = f.factory()
	}
	if mod != nil {
		mod(&opts)
	}
	b := broker.New(cfg, opts)
	t.Cleanup(b.Close)
	return b
}

// advance lets d pass on the bubble's clock, and everything due by then
// (timers, the refreshes they start) happen.
func advance(d time.Duration) {
	<-time.After(d)
	synctest.Wait()
}

func accountStatus(t *testing.T, b *broker.Broker, name string) broker.AccountStatus {
	t.Helper()
	for _, a := range b.Status().Accounts {
		if a.Name == name {
			return a
		}
	}
	t.Fatalf("Status lists no account %s", name)
	return broker.AccountStatus{}
}

func userState(b *broker.Broker, name string) api.UserState {
	for _, u := range b.Status().Users {
		if u.Name == name {
			return u.State
		}
	}
	return ""
}

func TestCredentialsAssumeTheAccountsRole(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSTS()
		b := newBroker(t, testConfig(t, threeAccounts), newMemKeys("michael"), f, nil)
		tests := []struct{ account, roleARN, region string }{
			{"production", "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole", "us-east-1"},
			{"staging", "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole", "eu-west-1"},
			{"playground", "arn:aws:iam::444444444444:role/Admin", "us-east-1"},
		}
		for _, tt := range tests {
			c, err := b.Credentials(context.Background(), tt.account)
			if err != nil {
				t.Fatalf("%s: %v", tt.account, err)
			}
			if left := time.Until(c.Expiration); left != time.Hour {
				t.Errorf("%s: credentials expire in %s, want the hour asked for", tt.account, left)
			}
			got, ok := f.Issued(c.AccessKeyID)
			if !ok {
				t.Fatalf("%s: STS never issued key %s", tt.account, c.AccessKeyID)
			}
			if got.roleARN != tt.roleARN || c.RoleARN != tt.roleARN || got.sessionName != "hopd-michael" || got.region != tt.region {
				t.Errorf("%s: assumed %+v (creds for %s), want %s as hopd-michael in %s", tt.account, got, c.RoleARN, tt.roleARN, tt.region)
			}
			if !strings.HasPrefix(got.signedWith, "ASIASESSION") {
				t.Errorf("%s: AssumeRole was signed with %s, want the user's session", tt.account, got.signedWith)
			}
		}
		if n := f.Count("GetSessionToken"); n != 1 {
			t.Errorf("GetSessionToken called %d times for 3 accounts, want 1", n)
		}
		if n := f.Count("AssumeRole"); n != 3 {
			t.Errorf("AssumeRole called %d times, want 3", n)
		}
		// Cached: no more STS calls.
		for range 10 {
			if _, err := b.Credentials(context.Background(), "production"); err != nil {
				t.Fatal(err)
			}
		}
		if n := f.Count("AssumeRole"); n != 3 {
			t.Errorf("AssumeRole called %d times after cached requests, want 3", n)
		}
	})
}

func TestUnknownAccount(t *testing.T) {
	b := newBroker(t, testConfig(t, threeAccounts), newMemKeys("michael"), newFakeSTS(), nil)
	if _, err := b.Credentials(context.Background(), "nope"); !errors.Is(err, broker.ErrUnknownAccount) {
		t.Fatalf("err = %v, want ErrUnknownAccount", err)
	}
}

func TestConcurrentColdRequestsMakeOneAssumeRole(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSTS()
		b := newBroker(t, testConfig(t, threeAccounts), newMemKeys("michael"), f, func(o *broker.Options) { o.Wait = time.Second })
		// A slow STS: every request arrives while the first call is out.
		f.SetDelay(300 * time.Millisecond)
		const n = 500
		var wg sync.WaitGroup
		errs := make(chan error, n)
		keys := make(chan string, n)
		for range n {
			wg.Go(func() {
				c, err := b.Credentials(context.Background(), "staging")
				errs <- err
				keys <- c.AccessKeyID
			})
		}
		wg.Wait()
		close(errs)
		close(keys)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		first := <-keys
		for k := range keys {
			if k != first {
				t.Fatal("concurrent requests got different credentials")
			}
		}
		if got := f.Count("AssumeRole"); got != 1 {
			t.Errorf("%d concurrent requests made %d AssumeRole calls, want 1", n, got)
		}
	})
}

func TestOutageServesCachedThenFailsFastThenRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSTS()
		// The default Wait: this test is about how fast a failure is answered.
		b := newBroker(t, testConfig(t, threeAccounts), newMemKeys("michael"), f, nil)
		ctx := context.Background()
		cached, err := b.Credentials(ctx, "production")
		if err != nil {
			t.Fatal(err)
		}

		f.SetDown(true)
		advance(29 * time.Minute) // 31 min left: in the refresh window, above the floor
		if n := f.Count("AssumeRole"); n < 2 {
			t.Errorf("%d AssumeRole calls by 29 min; want the background refresh at 28 min to have tried", n)
		}
		got, err := b.Credentials(ctx, "production")
		if err != nil {
			t.Fatalf("during the outage with valid cached credentials: %v", err)
		}
		if got.AccessKeyID != cached.AccessKeyID {
			t.Fatal("during the outage the broker served other credentials than the cached ones")
		}

		advance(6 * time.Minute) // 25 min left: under the floor
		start := time.Now()
		_, err = b.Credentials(ctx, "production")
		elapsed := time.Since(start)
		if _, ok := errors.AsType[*broker.UnavailableError](err); !ok {
			t.Fatalf("under the floor during the outage: err = %v, want *UnavailableError", err)
		}
		if elapsed >= time.Second {
			t.Errorf("the failing request took %s; SDK IMDS clients give up after about 1s", elapsed)
		}
		if s := accountStatus(t, b, "production"); s.State != api.AccountError || !strings.Contains(s.LastError, "cannot reach STS") {
			t.Errorf("during the outage the account is %s (%q), want error naming STS", s.State, s.LastError)
		}

		// Nobody asks: the backoff, at most 5 min, brings the account back.
		f.SetDown(false)
		advance(5 * time.Minute)
		s := accountStatus(t, b, "production")
		if s.State != api.AccountFresh {
			t.Fatalf("5 min after STS came back the account is %s (%q), want fresh", s.State, s.LastError)
		}
		before := f.Count("AssumeRole")
		got, err = b.Credentials(ctx, "production")
		if err != nil {
			t.Fatalf("after STS came back: %v", err)
		}
		if got.AccessKeyID == cached.AccessKeyID || !got.Expiration.After(cached.Expiration) {
			t.Errorf("after STS came back the broker serves %s expiring %s; want new credentials, after %s", got.AccessKeyID, got.Expiration, cached.Expiration)
		}
		if n := f.Count("AssumeRole"); n != before {
			t.Errorf("the request after recovery called STS (%d AssumeRole, %d before); the background retry had fetched", n, before)
		}
	})
}

func TestSlowSTSAnswersFast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSTS()
		b := newBroker(t, testConfig(t, threeAccounts), newMemKeys("michael"), f, nil)
		f.SetDelay(2 * time.Second)
		start := time.Now()
		_, err := b.Credentials(context.Background(), "production")
		if elapsed := time.Since(start); elapsed != 900*time.Millisecond {
			t.Errorf("a request waiting on a slow STS took %s, want the default Wait of 900ms", elapsed)
		}
		if _, ok := errors.AsType[*broker.UnavailableError](err); !ok || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want *UnavailableError saying STS has not answered", err)
		}
		if s := accountStatus(t, b, "production"); s.State != api.AccountRefreshing {
			t.Errorf("while STS is slow the account is %s, want refreshing", s.State)
		}
		// The fetch goes on in the background; once it lands the cache answers.
		advance(2 * time.Second)
		if _, err := b.Credentials(context.Background(), "production"); err != nil {
			t.Fatalf("credentials never arrived from the slow STS: %v", err)
		}
		if n := f.Count("AssumeRole"); n != 1 {
			t.Errorf("AssumeRole called %d times, want 1: the request that gave up did not cancel the fetch", n)
		}
	})
}

func TestSessionIsCachedAcrossRestarts(t *testing.T) {
	f := newFakeSTS()
	keys := newMemKeys("michael")
	cfg := testConfig(t, threeAccounts)
	b1 := newBroker(t, cfg, keys, f, nil)
	if _, err := b1.Credentials(context.Background(), "production"); err != nil {
		t.Fatal(err)
	}
	b1.Close()
	b2 := newBroker(t, cfg, keys, f, nil)
	if s := userState(b2, "michael"); s != api.UserOK {
		t.Errorf("after a restart the user is %s before any request, want ok from the cached session", s)
	}
	if _, err := b2.Credentials(context.Background(), "staging"); err != nil {
		t.Fatal(err)
	}
	if n := f.Count("GetSessionToken"); n != 1 {
		t.Errorf("GetSessionToken called %d times across a restart, want 1", n)
	}
}

func TestNoKeysSaysHowToStoreThem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSTS()
		keys := newMemKeys()
		b := newBroker(t, testConfig(t, threeAccounts), keys, f, nil)
		if s := userState(b, "michael"); s != api.UserNoSession {
			t.Errorf("before any request the user is %s, want no-session", s)
		}
		_, err := b.Credentials(context.Background(), "production")
		if _, ok := errors.AsType[*broker.UnavailableError](err); !ok || !errors.Is(err, keychain.ErrNotFound) {
			t.Fatalf("err = %v, want *UnavailableError wrapping keychain.ErrNotFound", err)
		}
		if s := userState(b, "michael"); s != api.UserNoKeys {
			t.Errorf("without keys the user is %s, want no-keys", s)
		}
		if n := f.Count("GetSessionToken"); n != 0 {
			t.Errorf("GetSessionToken called %d times without keys", n)
		}

		keys.setKeys("michael")
		advance(time.Second) // past the retry gap
		if _, err := b.Credentials(context.Background(), "production"); err != nil {
			t.Fatalf("once keys are stored: %v", err)
		}
		if s := userState(b, "michael"); s != api.UserOK {
			t.Errorf("once keys are stored the user is %s, want ok", s)
		}
	})
}
