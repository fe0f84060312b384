package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/hopd/hopd/internal/awsenv"
)

// FederationDuration is how long a console session of the IAM user's own
// account lasts: a working day.
const FederationDuration = 12 * time.Hour

// allowAll is the session policy passed to GetFederationToken. A federated
// user's permissions are those of the IAM user cut down to the session
// policy; without one it could do nothing, so this policy cuts nothing.
const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// FederationAPI is the STS call that turns an IAM user's long-lived keys
// into credentials the console accepts.
type FederationAPI interface {
	GetFederationToken(ctx context.Context, in *sts.GetFederationTokenInput, optFns ...func(*sts.Options)) (*sts.GetFederationTokenOutput, error)
}

// NewFederationAPI returns an STS client for region that signs with keys.
// Like the broker's, it honours AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL
// and reads no shared config files.
func NewFederationAPI(region string, keys Credentials) FederationAPI {
	opts := sts.Options{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(keys.AccessKeyID, keys.SecretAccessKey, keys.SessionToken),
		HTTPClient:  &http.Client{Timeout: 15 * time.Second},
	}
	if ep := awsenv.Endpoint("STS"); ep != "" {
		opts.BaseEndpoint = aws.String(ep)
	}
	return sts.New(opts)
}

var federatedNameChars = lazyRE(`[^\w+=,.@-]`)

// FederatedName is the federated user's name for an IAM user, as CloudTrail
// shows it: "hopd-<user>", within STS's 32 characters.
func FederatedName(user string) string {
	n := "hopd-" + federatedNameChars().ReplaceAllString(user, "-")
	if len(n) > 32 {
		n = n[:32]
	}
	return n
}

// FederationCredentials calls GetFederationToken as the IAM user (api must
// sign with the user's long-lived keys: STS refuses session credentials
// here) and returns credentials for the console of the user's own account.
func FederationCredentials(ctx context.Context, api FederationAPI, user string) (Credentials, error) {
	out, err := api.GetFederationToken(ctx, &sts.GetFederationTokenInput{
		Name:            aws.String(FederatedName(user)),
		Policy:          aws.String(allowAll),
		DurationSeconds: aws.Int32(int32(FederationDuration / time.Second)),
	})
	if err != nil {
		return Credentials{}, describeFederationError(user, err)
	}
	if out.Credentials == nil {
		return Credentials{}, errors.New("STS answered GetFederationToken without credentials; try again")
	}
	return Credentials{
		AccessKeyID:     aws.ToString(out.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
		SessionToken:    aws.ToString(out.Credentials.SessionToken),
	}, nil
}

func describeFederationError(user string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDenied":
			return fmt.Errorf("user %s may not call sts:GetFederationToken: allow it in the user's IAM policy to open its own account's console", user)
		case "InvalidClientTokenId", "SignatureDoesNotMatch":
			return fmt.Errorf("STS does not accept the keys stored for user %s: run `hopd keys set %s` with a current access key", user, user)
		}
		return fmt.Errorf("GetFederationToken for user %s failed: %s", user, ae.ErrorCode())
	}
	return fmt.Errorf("GetFederationToken for user %s failed: check the network: %w", user, err)
}
