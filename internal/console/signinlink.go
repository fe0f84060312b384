package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/hopd/hopd/internal/awsenv"
	"github.com/hopd/hopd/internal/config"
)

// UserSigninURL is the page where an IAM user of an account signs in to
// the console: https://<id or alias>.signin.aws.amazon.com/console.
func UserSigninURL(idOrAlias, region string) string {
	return "https://" + idOrAlias + "." + config.SigninHost(region) + "/console"
}

// IdentityAPI is what finding an IAM user's sign-in page asks of AWS.
type IdentityAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	ListAccountAliases(ctx context.Context, in *iam.ListAccountAliasesInput, optFns ...func(*iam.Options)) (*iam.ListAccountAliasesOutput, error)
}

type identityAPI struct {
	*sts.Client
	iam *iam.Client
}

func (a identityAPI) ListAccountAliases(ctx context.Context, in *iam.ListAccountAliasesInput, optFns ...func(*iam.Options)) (*iam.ListAccountAliasesOutput, error) {
	return a.iam.ListAccountAliases(ctx, in, optFns...)
}

// NewIdentityAPI returns STS and IAM clients that sign with keys. Like the
// broker's, they honour AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL_IAM and
// AWS_ENDPOINT_URL, and read no shared config files.
func NewIdentityAPI(region string, keys Credentials) IdentityAPI {
	creds := credentials.NewStaticCredentialsProvider(keys.AccessKeyID, keys.SecretAccessKey, keys.SessionToken)
	httpClient := &http.Client{Timeout: 15 * time.Second}
	so := sts.Options{Region: region, Credentials: creds, HTTPClient: httpClient}
	if ep := awsenv.Endpoint("STS"); ep != "" {
		so.BaseEndpoint = aws.String(ep)
	}
	io := iam.Options{Region: region, Credentials: creds, HTTPClient: httpClient}
	if ep := awsenv.Endpoint("IAM"); ep != "" {
		io.BaseEndpoint = aws.String(ep)
	}
	return identityAPI{Client: sts.New(so), iam: iam.New(io)}
}

// UserSignin finds an IAM user's sign-in page: under the account's alias
// when it has one and the user may list it, else under its id.
func UserSignin(ctx context.Context, api IdentityAPI, user, region string) (url, alias string, err error) {
	id, err := api.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return "", "", fmt.Errorf("STS does not accept the keys stored for user %s (%s): run `hopd keys set %s` with a current access key", user, ae.ErrorCode(), user)
		}
		return "", "", fmt.Errorf("asking STS which account user %s is in failed: check the network: %w", user, err)
	}
	account := aws.ToString(id.Account)
	if out, err := api.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{}); err == nil && len(out.AccountAliases) > 0 {
		// An account has at most one alias.
		alias = out.AccountAliases[0]
		return UserSigninURL(alias, region), alias, nil
	}
	// No alias, or no iam:ListAccountAliases: the id always works.
	return UserSigninURL(account, region), "", nil
}
