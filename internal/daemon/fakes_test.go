package daemon_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/broker"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/discover"
	"github.com/hopd/hopd/internal/keychain"
	"github.com/hopd/hopd/internal/notify"
)

// The daemon's seams, faked: the broker's and discovery's own tests cover
// what is behind them, and e2e/ runs the whole against moto.

// fakeKeychain holds keys and sessions in memory.
type fakeKeychain struct {
	mu       sync.Mutex
	keys     map[string]keychain.Keys
	sessions map[string]keychain.Session
	sso      map[string][]byte
}

func newFakeKeychain(users ...string) *fakeKeychain {
	k := &fakeKeychain{keys: map[string]keychain.Keys{}, sessions: map[string]keychain.Session{}, sso: map[string][]byte{}}
	for _, u := range users {
		k.keys[u] = keychain.Keys{AccessKeyID: "AKIA" + strings.ToUpper(u), SecretAccessKey: "secret-of-" + u}
	}
	return k
}

func (k *fakeKeychain) Keys(user string) (keychain.Keys, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if v, ok := k.keys[user]; ok {
		return v, nil
	}
	return keychain.Keys{}, fmt.Errorf("no keys for %s: %w", user, keychain.ErrNotFound)
}

func (k *fakeKeychain) Session(user string) (keychain.Session, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if v, ok := k.sessions[user]; ok {
		return v, nil
	}
	return keychain.Session{}, fmt.Errorf("no session for %s: %w", user, keychain.ErrNotFound)
}

func (k *fakeKeychain) SetSession(user string, s keychain.Session) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.sessions[user] = s
	return nil
}

func (k *fakeKeychain) DeleteSession(user string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.sessions, user)
	return nil
}

func (k *fakeKeychain) SSO(name, part string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if v, ok := k.sso[name+"/"+part]; ok {
		return v, nil
	}
	return nil, keychain.ErrNotFound
}

func (k *fakeKeychain) SetSSO(name, part string, data []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.sso[name+"/"+part] = data
	return nil
}

func (k *fakeKeychain) DeleteSSO(name, part string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.sso, name+"/"+part)
	return nil
}

// fakeSTS gives a session for any keys, and role credentials that name
// the account they are for in their key id. An MFA user's session waits
// for a code: GetSessionToken without one is refused like STS does.
type fakeSTS struct {
	mu      sync.Mutex
	assumed map[string]int // role ARN -> AssumeRole calls
}

func (f *fakeSTS) factory() broker.STSFactory {
	return func(string, aws.Credentials) broker.STS { return f }
}

func (f *fakeSTS) GetSessionToken(_ context.Context, in *sts.GetSessionTokenInput, _ ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error) {
	if in.SerialNumber != nil && aws.ToString(in.TokenCode) == "" {
		return nil, errors.New("MultiFactorAuthentication failed: a code is needed")
	}
	return &sts.GetSessionTokenOutput{Credentials: &types.Credentials{
		AccessKeyId: aws.String("ASIASESSION"), SecretAccessKey: aws.String("session-secret"),
		SessionToken: aws.String("session-token"), Expiration: aws.Time(time.Now().Add(12 * time.Hour)),
	}}, nil
}

func (f *fakeSTS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	arn := aws.ToString(in.RoleArn)
	parts := strings.Split(arn, ":")
	if len(parts) < 5 {
		return nil, fmt.Errorf("bad role ARN %q", arn)
	}
	f.mu.Lock()
	if f.assumed == nil {
		f.assumed = map[string]int{}
	}
	f.assumed[arn]++
	f.mu.Unlock()
	return &sts.AssumeRoleOutput{
		Credentials: &types.Credentials{
			AccessKeyId: aws.String("ASIA" + parts[4]), SecretAccessKey: aws.String("role-secret"),
			SessionToken: aws.String("role-token"), Expiration: aws.Time(time.Now().Add(time.Hour)),
		},
		AssumedRoleUser: &types.AssumedRoleUser{Arn: aws.String(arn + "/hopd"), AssumedRoleId: aws.String("AROA:hopd")},
	}, nil
}

// fakeNotifier records the notifications shown.
type fakeNotifier struct {
	mu    sync.Mutex
	shown []notify.Notification
}

func (n *fakeNotifier) Show(_ context.Context, note notify.Notification) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.shown = append(n.shown, note)
	return nil
}

func (n *fakeNotifier) Close() error { return nil }

func (n *fakeNotifier) titles() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, s := range n.shown {
		out = append(out, s.Title)
	}
	return out
}

func (n *fakeNotifier) click(i int) {
	n.mu.Lock()
	f := n.shown[i].OnClick
	n.mu.Unlock()
	f()
}

// fakeSSO is an Identity Center with one signed-out user: Login signs in
// at once (from its own goroutine, as the real one does) and the listing
// is fixed.
type fakeSSO struct {
	mu       sync.Mutex
	signedIn map[string]bool
	accounts []discover.SSOAccount
	hooks    []func(string)
	loginCtx context.Context
	logins   int
}

func (f *fakeSSO) SetConfig(*config.Config) {}

func (f *fakeSSO) OnSignIn(h func(string)) { f.mu.Lock(); f.hooks = append(f.hooks, h); f.mu.Unlock() }

func (f *fakeSSO) needs(name string) error {
	return fmt.Errorf("sign in to IAM Identity Center: `hopd sso login %s`", name)
}

func (f *fakeSSO) RoleCredentials(_ context.Context, name, account, role string) (aws.Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.signedIn[name] {
		return aws.Credentials{}, f.needs(name)
	}
	return aws.Credentials{AccessKeyID: "ASIASSO" + account, SecretAccessKey: "sso-secret", SessionToken: "sso-token-" + role,
		CanExpire: true, Expires: time.Now().Add(time.Hour)}, nil
}

func (f *fakeSSO) Assignments(_ context.Context, name string) ([]discover.SSOAccount, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.signedIn[name] {
		return nil, f.needs(name)
	}
	return f.accounts, nil
}

func (f *fakeSSO) Login(ctx context.Context, name string, noBrowser bool) (api.SSOLogin, error) {
	f.mu.Lock()
	f.loginCtx = ctx
	f.logins++
	hooks := f.hooks
	f.mu.Unlock()
	go func() {
		time.Sleep(20 * time.Millisecond)
		if ctx.Err() != nil {
			return
		}
		f.mu.Lock()
		if f.signedIn == nil {
			f.signedIn = map[string]bool{}
		}
		f.signedIn[name] = true
		f.mu.Unlock()
		for _, h := range hooks {
			h(name)
		}
	}()
	return api.SSOLogin{Name: name, URL: "https://device.example/?code=ABCD", UserCode: "ABCD-EFGH", Expires: time.Now().Add(10 * time.Minute)}, nil
}

func (f *fakeSSO) State(name string) (api.SSOState, time.Time, *api.SSOLogin, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.signedIn[name] {
		return api.SSOSignedIn, time.Now().Add(8 * time.Hour), nil, ""
	}
	return api.SSONeedsSignIn, time.Time{}, nil, ""
}

// fakeOrgs is AWS Organizations with a list of ACTIVE accounts that a
// test can change.
type fakeOrgs struct {
	mu       sync.Mutex
	accounts []orgtypes.Account
}

func (f *fakeOrgs) factory() discover.OrgFactory {
	return func(string, aws.Credentials) discover.OrgAPI { return f }
}

func (f *fakeOrgs) set(idNames ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accounts = nil
	for i := 0; i+1 < len(idNames); i += 2 {
		f.accounts = append(f.accounts, orgtypes.Account{Id: aws.String(idNames[i]), Name: aws.String(idNames[i+1]), Status: orgtypes.AccountStatusActive})
	}
}

func (f *fakeOrgs) ListAccounts(context.Context, *organizations.ListAccountsInput, ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &organizations.ListAccountsOutput{Accounts: slices.Clone(f.accounts)}, nil
}

func (f *fakeOrgs) ListAccountsForParent(context.Context, *organizations.ListAccountsForParentInput, ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error) {
	return nil, errors.New("no OUs in this fake")
}

func (f *fakeOrgs) ListOrganizationalUnitsForParent(context.Context, *organizations.ListOrganizationalUnitsForParentInput, ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error) {
	return nil, errors.New("no OUs in this fake")
}

func (f *fakeOrgs) ListRoots(context.Context, *organizations.ListRootsInput, ...func(*organizations.Options)) (*organizations.ListRootsOutput, error) {
	return nil, errors.New("no OUs in this fake")
}
