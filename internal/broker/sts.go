package broker

import (
	"context"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hopd/hopd/internal/awsenv"
)

// STS is the part of the STS API the broker calls. The broker asks for a
// client per call because each call signs with different credentials.
type STS interface {
	GetSessionToken(ctx context.Context, in *sts.GetSessionTokenInput, optFns ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error)
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

// STSFactory makes an STS client for a region that signs with the given
// credentials.
type STSFactory func(region string, creds aws.Credentials) STS

// NewSTSFactory returns the real STS client factory. It honours
// AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL, which is how tests and the demo
// point hopd at a local emulator, but reads no shared config files: the only
// credentials hopd signs with are the ones it was handed.
func NewSTSFactory() STSFactory {
	endpoint := awsenv.Endpoint("STS")
	httpClient := &http.Client{Timeout: 10 * time.Second}
	retryer := func() aws.Retryer {
		// The SDK's standard retryer already backs off with jitter; cap it so
		// a failing call gives up in seconds and the broker's own background
		// retry takes over.
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.MaxBackoff = 2 * time.Second
		})
	}
	return func(region string, creds aws.Credentials) STS {
		opts := sts.Options{
			Region:      region,
			Credentials: credentials.StaticCredentialsProvider{Value: creds},
			HTTPClient:  httpClient,
			Retryer:     retryer(),
		}
		if endpoint != "" {
			opts.BaseEndpoint = aws.String(endpoint)
		}
		return sts.New(opts)
	}
}
