package broker_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hopd/hopd/internal/broker"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/keychain"
	"github.com/hopd/hopd/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

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
		m.keys[u] = keychain.Keys{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	}
	return m
}

func (m *memKeys) Keys(u string) (keychain.Keys, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[u]
	if !ok {
		return k, keychain.ErrNotFound
	}
	return k, nil
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

// clock is a wall clock that tests can move forward, as sleep does.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

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

// stsEnv starts moto behind a counting proxy and returns an STS factory
// pointed at the proxy.
func stsEnv(t testing.TB) (*testenv.Moto, *testenv.STSProxy, broker.STSFactory) {
	t.Helper()
	moto := testenv.SharedMoto(t)
	proxy := testenv.CountingProxy(t, moto.URL)
	t.Setenv("AWS_ENDPOINT_URL", proxy.URL)
	// moto loads its STS backend on the first call, which can take seconds
	// on a busy machine; warm it up behind the proxy's back.
	callerARN(t, moto.URL, broker.Creds{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "x"})
	return moto, proxy, broker.NewSTSFactory()
}

func newBroker(t testing.TB, cfg *config.Config, keys broker.KeyStore, f broker.STSFactory, mod func(*broker.Options)) *broker.Broker {
	t.Helper()
	// Tests not about latency wait long for STS, so a busy machine does not
	// fail them; tests about latency set Wait to zero for the default.
	opts := broker.Options{Keys: keys, STS: f, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Wait: 20 * time.Second}
	if mod != nil {
		mod(&opts)
	}
	b := broker.New(cfg, opts)
	t.Cleanup(b.Close)
	return b
}

// callerARN asks STS who the credentials belong to.
func callerARN(t testing.TB, endpoint string, c broker.Creds) string {
	t.Helper()
	client := sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
	})
	out, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	return aws.ToString(out.Arn)
}

func TestCredentialsAssumeTheAccountsRole(t *testing.T) {
	moto, proxy, f := stsEnv(t)
	b := newBroker(t, testConfig(t, threeAccounts), newMemKeys("michael"), f, nil)
	tests := []struct{ account, wantARN string }{
		{"production", "arn:aws:sts::222222222222:assumed-role/OrganizationAccountAccessRole/hopd-michael"},
		{"staging", "arn:aws:sts::333333333333:assumed-role/OrganizationAccountAccessRole/hopd-michael"},
		{"playground", "arn:aws:sts::444444444444:assumed-role/Admin/hopd-michael"},
	}
	for _, tt := range tests {
		c, err := b.Credentials(context.Background(), tt.account)
		if err != nil {
			t.Fatalf("%s: %v", tt.account, err)
		}
		if left := time.Until(c.Expiration); left < 55*time.Minute {
			t.Errorf("%s: credentials expire in %s, want about an hour", tt.account, left)
		}
		if got := callerARN(t, moto.URL, c); got != tt.wantARN {
			t.Errorf("%s: caller is %s, want %s", tt.account, got, tt.wantARN)
		}
	}
	if n := proxy.Count("GetSessionToken"); n != 1 {
		t.Errorf("GetSessionToken called %d times for 3 accounts, want 1", n)
	}
	if n := proxy.Count("AssumeRole"); n != 3 {
		t.Errorf("AssumeRole called %d times, want 3", n)
	}
	// Cached: no more STS calls.
	for range 10 {
		if _, err := b.Credentials(context.Background(), "production"); err != nil {
			t.Fatal(err)
		}
	}
	if n := proxy.Count("AssumeRole"); n != 3 {
		t.Errorf("AssumeRole called %d times after cached requests, want 3", n)
	}
}

// eventually returns an account's credentials once the fetch lands: with the
// default Wait a first request on a busy machine may be told to retry.
func eventually(t *testing.T, b *broker.Broker, account string) broker.Creds {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := b.Credentials(context.Background(), account)
		if err == nil {
			return c
		}
		if !errors.Is(err, context.DeadlineExceeded) || time.Now().After(deadline) {
			t.Fatalf("%s: %v", account, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestUnknownAccount(t *testing.T) {
	b := newBroker(t, testConfig(t, threeAccounts), newMemKeys("michael"), nil, nil)
	if _, err := b.Credentials(context.Background(), "nope"); !errors.Is(err, broker.ErrUnknownAccount) {
		t.Fatalf("err = %v, want ErrUnknownAccount", err)
	}
}

func TestConcurrentColdRequestsMakeOneAssumeRole(t *testing.T) {
	_, proxy, f := stsEnv(t)
	b := newBroker(t, testConfig(t, threeAccounts), newMemKeys("michael"), f, nil)
	// Slow STS down so every request arrives while the first call is out.
	proxy.SetDelay(300 * time.Millisecond)
	const n = 500
	var wg sync.WaitGroup
	errs := make(chan error, n)
	keys := make(chan string, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := b.Credentials(context.Background(), "staging")
			errs <- err
			keys <- c.AccessKeyID
		}()
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
	if got := proxy.Count("AssumeRole"); got != 1 {
		t.Errorf("%d concurrent requests made %d AssumeRole calls, want 1", n, got)
	}
}

func TestOutageServesCachedThenFailsFastThenRecovers(t *testing.T) {
	_, proxy, f := stsEnv(t)
	clk := &clock{}
	// The default Wait: this test is about how fast a failure is answered.
	b := newBroker(t, testConfig(t, threeAccounts), newMemKeys("michael"), f, func(o *broker.Options) { o.Now = clk.Now; o.Wait = 0 })
	// STS lives on the test's clock too: credentials it gives after the
	// clock moved must not look 35 minutes old.
	proxy.SetExpiry(func(e time.Time) time.Time { return e.Add(time.Duration(clk.offset.Load())) })
	ctx := context.Background()
	cached := eventually(t, b, "production")

	proxy.SetDown(true)
	clk.Advance(29 * time.Minute) // 31 min left: in the refresh window, above the floor
	got, err := b.Credentials(ctx, "production")
	if err != nil {
		t.Fatalf("during the outage with valid cached credentials: %v", err)
	}
	if got.AccessKeyID != cached.AccessKeyID {
		t.Fatal("during the outage the broker served other credentials than the cached ones")
	}

	clk.Advance(6 * time.Minute) // 25 min left: under the floor
	start := time.Now()
	_, err = b.Credentials(ctx, "production")
	elapsed := time.Since(start)
	var ue *broker.UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("under the floor during the outage: err = %v, want *UnavailableError", err)
	}
	if elapsed > time.Second {
		t.Errorf("the failing request took %s; SDK IMDS clients give up after about 1s", elapsed)
	}
	t.Logf("outage answer after %s: %v", elapsed.Round(time.Millisecond), err)

	proxy.SetDown(false)
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err = b.Credentials(ctx, "production")
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond) // a refresh started during the outage may still be finishing
	}
	if err != nil {
		t.Fatalf("after STS came back: %v", err)
	}
	if got.AccessKeyID == cached.AccessKeyID {
		t.Error("after STS came back the broker still served the old credentials")
	}
	if !got.Expiration.After(cached.Expiration) {
		t.Errorf("after STS came back the credentials expire at %s, not after the old ones (%s)", got.Expiration, cached.Expiration)
	}
}

func TestSlowSTSAnswersFast(t *testing.T) {
	_, proxy, f := stsEnv(t)
	b := newBroker(t, testConfig(t, threeAccounts), newMemKeys("michael"), f, func(o *broker.Options) { o.Wait = 0 })
	proxy.SetDelay(2 * time.Second)
	start := time.Now()
	_, err := b.Credentials(context.Background(), "production")
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("a request waiting on a slow STS took %s, want under 1s", elapsed)
	}
	var ue *broker.UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want *UnavailableError", err)
	}
	// The fetch went on in the background; once it lands the cache answers.
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if _, err = b.Credentials(context.Background(), "production"); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("credentials never arrived from the slow STS: %v", err)
}

func TestSessionIsCachedAcrossRestarts(t *testing.T) {
	_, proxy, f := stsEnv(t)
	keys := newMemKeys("michael")
	cfg := testConfig(t, threeAccounts)
	b1 := newBroker(t, cfg, keys, f, nil)
	if _, err := b1.Credentials(context.Background(), "production"); err != nil {
		t.Fatal(err)
	}
	b1.Close()
	b2 := newBroker(t, cfg, keys, f, nil)
	if _, err := b2.Credentials(context.Background(), "staging"); err != nil {
		t.Fatal(err)
	}
	if n := proxy.Count("GetSessionToken"); n != 1 {
		t.Errorf("GetSessionToken called %d times across a restart, want 1", n)
	}
}

func TestNoKeysSaysHowToStoreThem(t *testing.T) {
	_, _, f := stsEnv(t)
	b := newBroker(t, testConfig(t, threeAccounts), newMemKeys(), f, nil)
	_, err := b.Credentials(context.Background(), "production")
	var ue *broker.UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want *UnavailableError", err)
	}
	if !errors.Is(err, keychain.ErrNotFound) {
		t.Errorf("err = %v, want it to wrap keychain.ErrNotFound", err)
	}
}
