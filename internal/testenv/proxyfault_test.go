package testenv

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

func assumeRole(ctx context.Context, endpoint string) (*sts.AssumeRoleOutput, error) {
	return stsClient(endpoint).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"),
		RoleSessionName: aws.String("testenv"),
	})
}

// A throttled call reaches the SDK as the Throttling error STS sends, and
// is counted; turning it off lets calls through again.
func TestCountingProxyThrottles(t *testing.T) {
	t.Parallel()
	p := CountingProxy(t, SharedMoto(t).URL)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	p.SetThrottling(true)
	var ae smithy.APIError
	if _, err := assumeRole(ctx, p.URL); !errors.As(err, &ae) || ae.ErrorCode() != "Throttling" {
		t.Fatalf("AssumeRole while throttling: %v; want the API error Throttling", err)
	}
	if n := p.Count("AssumeRole"); n != 1 {
		t.Errorf("Count(AssumeRole) = %d after one throttled call (the client does not retry); want 1", n)
	}
	p.SetThrottling(false)
	if _, err := assumeRole(ctx, p.URL); err != nil {
		t.Fatalf("AssumeRole after SetThrottling(false): %v", err)
	}
}

// SetExpiry changes the expiry of the credentials the SDK receives, and
// nothing else about them.
func TestCountingProxyRewritesExpiry(t *testing.T) {
	t.Parallel()
	p := CountingProxy(t, SharedMoto(t).URL)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	past := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	p.SetExpiry(func(time.Time) time.Time { return past })
	out, err := assumeRole(ctx, p.URL)
	if err != nil {
		t.Fatalf("AssumeRole with a rewritten expiry: %v", err)
	}
	if got := aws.ToTime(out.Credentials.Expiration); !got.Equal(past) {
		t.Errorf("the expiration is %s; want the rewritten %s", got, past)
	}
	if aws.ToString(out.Credentials.AccessKeyId) == "" || aws.ToString(out.Credentials.SessionToken) == "" {
		t.Error("the rewritten answer lost the credentials")
	}

	p.SetExpiry(func(e time.Time) time.Time { return e.Add(2 * time.Hour) })
	out, err = assumeRole(ctx, p.URL)
	if err != nil {
		t.Fatalf("AssumeRole with a shifted expiry: %v", err)
	}
	if left := time.Until(aws.ToTime(out.Credentials.Expiration)); left < 2*time.Hour {
		t.Errorf("credentials shifted by 2h expire in %s; want over 2h", left)
	}

	p.SetExpiry(nil)
	out, err = assumeRole(ctx, p.URL)
	if err != nil {
		t.Fatalf("AssumeRole after SetExpiry(nil): %v", err)
	}
	if left := time.Until(aws.ToTime(out.Credentials.Expiration)); left > 2*time.Hour || left < 0 {
		t.Errorf("with the rewrite off the credentials expire in %s; want moto's own hour or so", left)
	}
}
