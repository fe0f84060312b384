package broker

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/hopd/hopd/internal/config"
)

// RoleSource gives role credentials from IAM Identity Center: one
// GetRoleCredentials per account and role, with the named [[sso]]'s token.
// Its errors are sentences a person can act on, such as which
// `hopd sso login` to run when the Identity Center session has ended.
type RoleSource interface {
	RoleCredentials(ctx context.Context, sso, accountID, role string) (aws.Credentials, error)
}

// ssoTimeout bounds one GetRoleCredentials, retries included.
const ssoTimeout = 30 * time.Second

// fromSSO fetches an Identity Center account's credentials. No session or
// AssumeRole is involved: the portal hands out the role's credentials.
func (b *Broker) fromSSO(ac config.Account) (Creds, error) {
	if b.opts.SSO == nil {
		return Creds{}, &UnavailableError{Account: ac.Name, Reason: "IAM Identity Center " + ac.SSO + " is not set up in this hopd; restart it"}
	}
	ctx, cancel := context.WithTimeout(b.ctx, ssoTimeout)
	defer cancel()
	c, err := b.opts.SSO.RoleCredentials(ctx, ac.SSO, ac.ID, ac.Role)
	if err != nil {
		return Creds{}, &UnavailableError{Account: ac.Name, Reason: err.Error(), Err: err}
	}
	return Creds{
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		SessionToken:    c.SessionToken,
		Expiration:      c.Expires.UTC(),
		AccountID:       ac.ID,
		RoleARN:         ac.RoleARN(),
	}, nil
}

// RefreshSSO is called when an Identity Center sign-in succeeds: the
// accounts it failed for get a fresh try at once, and those in use are
// fetched in the background so clients work again without a restart.
func (b *Broker) RefreshSSO(name string) {
	b.refreshWhere(func(a config.Account) bool { return a.SSO == name })
}
