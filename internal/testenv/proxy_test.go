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

// Moto takes any MFA code; the proxy refuses the one it is told to, the
// way STS refuses a wrong code, so that the SDK sees AccessDenied.
func TestCountingProxyRejectsMFACode(t *testing.T) {
	t.Parallel()
	m := SharedMoto(t)
	p := CountingProxy(t, m.URL)
	p.SetRejectMFACode("111111")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	session := func(code string) error {
		_, err := stsClient(p.URL).GetSessionToken(ctx, &sts.GetSessionTokenInput{
			SerialNumber: aws.String("arn:aws:iam::123456789012:mfa/test"),
			TokenCode:    aws.String(code),
		})
		return err
	}
	var ae smithy.APIError
	if err := session("111111"); !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Fatalf("GetSessionToken with the refused code: %v; want AccessDenied", err)
	}
	if err := session("123456"); err != nil {
		t.Fatalf("GetSessionToken with another code: %v", err)
	}
	p.SetRejectMFACode("")
	if err := session("111111"); err != nil {
		t.Fatalf("GetSessionToken after SetRejectMFACode(\"\"): %v", err)
	}
	if n := p.Count("GetSessionToken"); n != 3 {
		t.Errorf("Count(GetSessionToken) = %d; want 3, refused calls included", n)
	}
}
