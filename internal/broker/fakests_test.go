package broker_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/hopd/hopd/internal/broker"
)

// fakeSTS is STS for the broker's tests, behind the broker's own seam
// (Options.STS). It runs on the time package's clock, so inside a
// testing/synctest bubble its delays and expiries are on the bubble's fake
// clock, and it checks what the real one would: that GetSessionToken is
// signed with the user's keys and AssumeRole with a live session it gave.
// The SDK's side (signing, endpoints, retries) is tested end to end
// against moto in e2e/.
type fakeSTS struct {
	mu       sync.Mutex
	keys     map[string]string // access key id -> secret: the users' long-lived keys
	sessions map[string]time.Time
	issued   map[string]assumed // role access key id -> what it was issued for
	calls    map[string][]time.Time
	n        int

	delay time.Duration // of AssumeRole answers
	// sessionGate, when set, holds GetSessionToken until it is closed.
	sessionGate    chan struct{}
	sessionEntered chan struct{}
	down           bool
	lifetime       func(asked time.Duration) time.Duration // of role credentials; nil: as asked
}

// assumed is what one AssumeRole call was for.
type assumed struct {
	roleARN, sessionName, region, signedWith string
}

func newFakeSTS() *fakeSTS {
	return &fakeSTS{
		keys:     map[string]string{testKeyID: testSecret},
		sessions: map[string]time.Time{},
		issued:   map[string]assumed{},
		calls:    map[string][]time.Time{},
	}
}

// factory is the broker's Options.STS.
func (f *fakeSTS) factory() broker.STSFactory {
	return func(region string, creds aws.Credentials) broker.STS {
		return &fakeClient{f: f, region: region, creds: creds}
	}
}

// Count is how many calls of action STS has had.
func (f *fakeSTS) Count(action string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls[action])
}

// Calls are the times of the calls of action.
func (f *fakeSTS) Calls(action string) []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.calls[action]...)
}

func (f *fakeSTS) SetDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// SessionFor registers a session as if STS had issued it to someone
// outside the broker (an AWS profile's chain) and returns its credentials.
func (f *fakeSTS) SessionFor(exp time.Time) aws.Credentials {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	id := fmt.Sprintf("ASIAPROFILE%08d", f.n)
	f.sessions[id] = exp
	return aws.Credentials{AccessKeyID: id, SecretAccessKey: "profile-secret", SessionToken: "session-token-" + id, CanExpire: true, Expires: exp}
}

// HoldSessions makes GetSessionToken wait until the returned function is
// called; entered receives a value as each call starts waiting.
func (f *fakeSTS) HoldSessions() (entered <-chan struct{}, release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	in := make(chan struct{}, 16)
	gate := make(chan struct{})
	f.sessionGate, f.sessionEntered = gate, in
	var once sync.Once
	return in, func() { once.Do(func() { close(gate) }) }
}

// SetDelay makes AssumeRole answer after d.
func (f *fakeSTS) SetDelay(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay = d
}

// SetLifetime makes STS hand out role credentials with the lifetime l
// returns for what was asked: a clock that disagrees with ours.
func (f *fakeSTS) SetLifetime(l func(asked time.Duration) time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lifetime = l
}

// Issued says what role credentials were issued for.
func (f *fakeSTS) Issued(accessKeyID string) (assumed, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.issued[accessKeyID]
	return a, ok
}

type fakeClient struct {
	f      *fakeSTS
	region string
	creds  aws.Credentials
}

// call records the call, waits out the delay and fails when STS is down,
// the way a dropped connection does.
func (c *fakeClient) call(ctx context.Context, action string) error {
	f := c.f
	f.mu.Lock()
	f.calls[action] = append(f.calls[action], time.Now())
	delay, down := f.delay, f.down
	gate, entered := f.sessionGate, f.sessionEntered
	f.mu.Unlock()
	if gate != nil && action == "GetSessionToken" {
		entered <- struct{}{}
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if delay > 0 && action == "AssumeRole" {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if down {
		return &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	}
	return nil
}

func apiError(code, msg string) error {
	return &smithy.GenericAPIError{Code: code, Message: msg, Fault: smithy.FaultClient}
}

func (c *fakeClient) GetSessionToken(ctx context.Context, in *sts.GetSessionTokenInput, _ ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error) {
	if err := c.call(ctx, "GetSessionToken"); err != nil {
		return nil, err
	}
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if secret, ok := f.keys[c.creds.AccessKeyID]; !ok || secret != c.creds.SecretAccessKey || c.creds.SessionToken != "" {
		return nil, apiError("InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	if (in.SerialNumber == nil) != (in.TokenCode == nil) {
		return nil, apiError("ValidationError", "SerialNumber and TokenCode go together")
	}
	f.n++
	id := fmt.Sprintf("ASIASESSION%08d", f.n)
	exp := time.Now().Add(time.Duration(aws.ToInt32(in.DurationSeconds)) * time.Second)
	f.sessions[id] = exp
	return &sts.GetSessionTokenOutput{Credentials: &types.Credentials{
		AccessKeyId: aws.String(id), SecretAccessKey: aws.String("session-secret"),
		SessionToken: aws.String("session-token-" + id), Expiration: aws.Time(exp),
	}}, nil
}

func (c *fakeClient) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	if err := c.call(ctx, "AssumeRole"); err != nil {
		return nil, err
	}
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	exp, ok := f.sessions[c.creds.AccessKeyID]
	switch {
	case !ok || c.creds.SessionToken != "session-token-"+c.creds.AccessKeyID:
		return nil, apiError("InvalidClientTokenId", "The security token included in the request is invalid.")
	case !time.Now().Before(exp):
		return nil, apiError("ExpiredToken", "The security token included in the request is expired")
	}
	life := time.Duration(aws.ToInt32(in.DurationSeconds)) * time.Second
	if f.lifetime != nil {
		life = f.lifetime(life)
	}
	f.n++
	id := fmt.Sprintf("ASIAROLE%08d", f.n)
	f.issued[id] = assumed{roleARN: aws.ToString(in.RoleArn), sessionName: aws.ToString(in.RoleSessionName), region: c.region, signedWith: c.creds.AccessKeyID}
	return &sts.AssumeRoleOutput{Credentials: &types.Credentials{
		AccessKeyId: aws.String(id), SecretAccessKey: aws.String("role-secret"),
		SessionToken: aws.String("role-token-" + id), Expiration: aws.Time(time.Now().Add(life)),
	}}, nil
}
