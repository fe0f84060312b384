package broker_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/broker"
	"github.com/hopd/hopd/internal/config"
)

// Status is read by the tray, the page and `hopd status` all the time; it
// must not wait for a session that STS is slow to start.
func TestStatusDoesNotWaitForASessionStart(t *testing.T) {
	f := newFakeSTS()
	b := newBroker(t, testConfig(t, threeAccounts), newMemKeys("michael"), f, func(o *broker.Options) { o.Wait = time.Minute })
	entered, release := f.HoldSessions()
	defer release()
	go b.Credentials(context.Background(), "production") //nolint:errcheck // released at the end
	<-entered

	done := make(chan api.UserState, 1)
	go func() { done <- userState(b, "michael") }()
	select {
	case st := <-done:
		if st != api.UserNoSession {
			t.Errorf("user state while the session starts = %q, want %q", st, api.UserNoSession)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Status waited for GetSessionToken")
	}
}

// fakeProfile is an AWS profile's credential chain: it hands out what next
// returns and counts the calls.
type fakeProfile struct {
	calls atomic.Int32
	next  func() (aws.Credentials, error)
}

func (p *fakeProfile) Retrieve(context.Context) (aws.Credentials, error) {
	p.calls.Add(1)
	return p.next()
}

const profileUser = `
[user]
name = "michael"
profile = "michael-login"
region = "us-east-1"

[[account]]
name = "production"
id = "222222222222"
`

func withProfile(p *fakeProfile, asked *string) func(*broker.Options) {
	return func(o *broker.Options) {
		o.Profiles = func(_ context.Context, profile, _ string) (aws.CredentialsProvider, error) {
			*asked = profile
			return p, nil
		}
	}
}

func TestProfileUserHopsWithTheProfilesCredentials(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSTS()
		// The profile's own chain gives credentials for 15 minutes, as
		// `aws login` does, and a new set each time they ran out.
		p := &fakeProfile{}
		var mu sync.Mutex
		var current aws.Credentials
		held := func() aws.Credentials {
			mu.Lock()
			defer mu.Unlock()
			return current
		}
		p.next = func() (aws.Credentials, error) {
			mu.Lock()
			defer mu.Unlock()
			if time.Until(current.Expires) < time.Minute {
				current = f.SessionFor(time.Now().Add(15 * time.Minute))
			}
			return current, nil
		}
		var asked string
		keys := newMemKeys() // no keys: a profile user needs none
		b := newBroker(t, testConfig(t, profileUser), keys, f, withProfile(p, &asked))

		c, err := b.Credentials(context.Background(), "production")
		if err != nil {
			t.Fatal(err)
		}
		if asked != "michael-login" {
			t.Errorf("resolved profile %q, want michael-login", asked)
		}
		got, ok := f.Issued(c.AccessKeyID)
		first := held()
		if !ok || got.roleARN != "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole" || got.signedWith != first.AccessKeyID {
			t.Fatalf("AssumeRole = %+v, want the default role signed with the profile's credentials %s", got, first.AccessKeyID)
		}
		if n := f.Count("GetSessionToken"); n != 0 {
			t.Errorf("GetSessionToken called %d times for a profile user", n)
		}
		u := b.Status().Users[0]
		if u.State != api.UserOK || u.Profile != "michael-login" || !u.SessionExpires.Equal(first.Expires.UTC()) {
			t.Errorf("user status = %+v, want ok with the profile and its expiry", u)
		}

		// The background refresh 28 minutes later must not use the first
		// set, which expired 13 minutes ago.
		advance(29 * time.Minute)
		c2, err := b.Credentials(context.Background(), "production")
		if err != nil {
			t.Fatal(err)
		}
		got2, _ := f.Issued(c2.AccessKeyID)
		if c2.AccessKeyID == c.AccessKeyID || got2.signedWith == first.AccessKeyID {
			t.Errorf("refresh signed with %s, the profile's expired credentials", got2.signedWith)
		}
		if f.Count("AssumeRole") != 2 {
			t.Errorf("AssumeRole calls = %d, want 2", f.Count("AssumeRole"))
		}
	})
}

func TestProfileThatFailsSaysWhatToRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSTS()
		var fail atomic.Bool
		fail.Store(true)
		p := &fakeProfile{next: func() (aws.Credentials, error) {
			if fail.Load() {
				return aws.Credentials{}, errors.New("login session has expired, please reauthenticate")
			}
			return f.SessionFor(time.Now().Add(time.Hour)), nil
		}}
		var asked string
		b := newBroker(t, testConfig(t, profileUser), newMemKeys(), f, withProfile(p, &asked))

		_, err := b.Credentials(context.Background(), "production")
		var ue *broker.UnavailableError
		if !errors.As(err, &ue) {
			t.Fatalf("err = %v, want an UnavailableError", err)
		}
		for _, want := range []string{"the AWS profile michael-login gave no credentials", "please reauthenticate", "michael-login"} {
			if !strings.Contains(ue.Reason, want) {
				t.Errorf("reason %q lacks %q", ue.Reason, want)
			}
		}
		if st := userState(b, "michael"); st != api.UserError {
			t.Errorf("user state = %q, want error", st)
		}

		// Once the person signs in again, the next request (after the
		// broker's retry gap) works without a restart.
		fail.Store(false)
		advance(2 * time.Second)
		if _, err := b.Credentials(context.Background(), "production"); err != nil {
			t.Fatalf("after the profile works again: %v", err)
		}
		if err := b.SubmitMFA(context.Background(), "michael", "123456"); err == nil || !strings.Contains(err.Error(), "needs no MFA code") {
			t.Errorf("SubmitMFA for a profile user = %v, want a refusal that says why", err)
		}
	})
}

// fakeSSO is IAM Identity Center's portal at the broker's seam.
type fakeSSO struct {
	mu    sync.Mutex
	calls map[string]int
	err   error
	life  time.Duration
}

func (s *fakeSSO) RoleCredentials(ctx context.Context, sso, accountID, role string) (aws.Credentials, error) {
	s.mu.Lock()
	s.calls[sso+"/"+accountID+"/"+role]++
	err := s.err
	s.mu.Unlock()
	if err != nil {
		return aws.Credentials{}, err
	}
	// A portal call takes a moment: concurrent requests must share it.
	select {
	case <-time.After(50 * time.Millisecond):
	case <-ctx.Done():
		return aws.Credentials{}, ctx.Err()
	}
	return aws.Credentials{AccessKeyID: "ASIASSO" + accountID, SecretAccessKey: "sso-secret", SessionToken: "sso-token", CanExpire: true, Expires: time.Now().Add(s.life)}, nil
}

func (s *fakeSSO) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[key]
}

func ssoConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg := testConfig(t, `
[[sso]]
name = "acme"
start_url = "https://acme.awsapps.com/start"
region = "eu-west-1"
`)
	cfg.Accounts = append(cfg.Accounts,
		config.Account{Name: "staging", ID: "333333333333", Role: "AdministratorAccess", Region: "eu-west-1", SSO: "acme"},
		config.Account{Name: "staging-readonlyaccess", ID: "333333333333", Role: "ReadOnlyAccess", Region: "eu-west-1", SSO: "acme"},
	)
	return cfg
}

func TestSSOAccountsComeFromTheRoleSourceOncePerRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &fakeSSO{calls: map[string]int{}, life: 8 * time.Hour}
		b := newBroker(t, ssoConfig(t), newMemKeys(), nil, func(o *broker.Options) { o.SSO = s })

		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for range 100 {
			wg.Go(func() {
				c, err := b.Credentials(context.Background(), "staging-readonlyaccess")
				if err == nil && c.AccessKeyID != "ASIASSO333333333333" {
					err = errors.New("wrong credentials " + c.AccessKeyID)
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := s.count("acme/333333333333/ReadOnlyAccess"); n != 1 {
			t.Errorf("GetRoleCredentials calls for 100 cold requests = %d, want 1", n)
		}
		if n := s.count("acme/333333333333/AdministratorAccess"); n != 0 {
			t.Errorf("the other role was fetched %d times, want 0", n)
		}
		a := accountStatus(t, b, "staging-readonlyaccess")
		if a.SSO != "acme" || a.State != api.AccountFresh {
			t.Errorf("status = %+v, want fresh, from acme", a)
		}
		// Eight-hour credentials are refreshed 32 minutes before they end,
		// once, while the account is in use.
		advance(7*time.Hour + 27*time.Minute)
		if n := s.count("acme/333333333333/ReadOnlyAccess"); n != 1 {
			t.Errorf("calls before the refresh lead = %d, want 1", n)
		}
	})
}

func TestSSOSessionEndedFailsFastAndRecoversAfterSignIn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &fakeSSO{calls: map[string]int{}, life: time.Hour, err: errors.New("sign in to IAM Identity Center: `hopd sso login acme`")}
		b := newBroker(t, ssoConfig(t), newMemKeys(), nil, func(o *broker.Options) { o.SSO = s })

		_, err := b.Credentials(context.Background(), "staging")
		if err == nil || !strings.Contains(err.Error(), "hopd sso login acme") {
			t.Fatalf("err = %v, want one that names hopd sso login acme", err)
		}
		// Within the retry gap, requests get the failure at once.
		for range 10 {
			if _, err := b.Credentials(context.Background(), "staging"); err == nil {
				t.Fatal("served credentials while signed out")
			}
		}
		if n := s.count("acme/333333333333/AdministratorAccess"); n != 1 {
			t.Errorf("portal calls while signed out = %d, want 1", n)
		}

		s.mu.Lock()
		s.err = nil
		s.mu.Unlock()
		b.RefreshSSO("acme")
		synctest.Wait()
		advance(time.Second)
		if a := accountStatus(t, b, "staging"); a.State != api.AccountFresh {
			t.Errorf("after sign-in the account in use is %q, want fresh without a request", a.State)
		}
		if _, err := b.Credentials(context.Background(), "staging"); err != nil {
			t.Fatal(err)
		}
	})
}
