package broker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/hopd/hopd/internal/keychain"
)

// ProfileFactory builds the credential chain of an AWS shared-config
// profile, for users whose base credentials come from one (`aws login`,
// `sso_session`, `credential_process`, ...) instead of keys in the keychain.
type ProfileFactory func(ctx context.Context, profile, region string) (aws.CredentialsProvider, error)

// profileExpiryWindow is how long before their expiry the profile's
// credentials are fetched again: AssumeRole needs them valid for its call.
const profileExpiryWindow = time.Minute

// profileResolveTimeout bounds one resolution: a credential_process or a
// token refresh that hangs must not hold every account of the user.
const profileResolveTimeout = 30 * time.Second

// NewProfileFactory resolves profiles with the Go SDK's own chain, so hopd
// takes what the AWS CLI and SDKs take from the same profile. The SDK
// refreshes what it can (login sessions, SSO tokens); its cache is told to
// fetch anew a minute before expiry, so hopd never keeps base credentials
// past their own lifetime.
func NewProfileFactory() ProfileFactory {
	return func(ctx context.Context, profile, region string) (aws.CredentialsProvider, error) {
		cfg, err := awsconfig.LoadDefaultConfig(ctx,
			awsconfig.WithSharedConfigProfile(profile),
			awsconfig.WithDefaultRegion(region),
			awsconfig.WithCredentialsCacheOptions(func(o *aws.CredentialsCacheOptions) {
				o.ExpiryWindow = profileExpiryWindow
			}),
		)
		if err != nil {
			return nil, err
		}
		if cfg.Credentials == nil {
			return nil, errors.New("it sets no way to get credentials")
		}
		return cfg.Credentials, nil
	}
}

// profileSession returns the profile user's current base credentials.
// u.start must be held.
func (b *Broker) profileSession(u *user) (aws.Credentials, error) {
	ctx, cancel := context.WithTimeout(b.ctx, profileResolveTimeout)
	defer cancel()
	var err error
	if u.profile == nil {
		u.profile, err = b.opts.Profiles(ctx, u.cfg.Profile, u.cfg.Region)
	}
	var c aws.Credentials
	if err == nil {
		c, err = u.profile.Retrieve(ctx)
	}
	if err != nil {
		// Build the chain again next time: the profile may have been
		// fixed in ~/.aws/config meanwhile.
		u.profile = nil
		err = describeProfileError(ctx, u.cfg.Profile, err)
		u.mu.Lock()
		u.session = nil
		u.lastErr = err.Error()
		u.mu.Unlock()
		b.notify()
		return aws.Credentials{}, err
	}
	u.mu.Lock()
	changed := u.session == nil || u.session.AccessKeyID != c.AccessKeyID
	u.session = &keychain.Session{Expiration: c.Expires.UTC()}
	if !c.CanExpire {
		u.session.Expiration = time.Time{}
	}
	u.loaded = true
	u.lastErr = ""
	u.mu.Unlock()
	if changed {
		b.log.Info("resolved the user's profile", "user", u.cfg.Name, "profile", u.cfg.Profile, "source", string(c.Source), "expires", c.Expires.Format(time.RFC3339))
		b.notify()
	}
	return c, nil
}

// dropProfileCredentials forgets a profile's credentials STS refused, so
// the next request resolves the profile again.
func (b *Broker) dropProfileCredentials(u *user) {
	u.start.Lock()
	defer u.start.Unlock()
	if c, ok := u.profile.(*aws.CredentialsCache); ok {
		c.Invalidate()
	}
	u.mu.Lock()
	u.session = nil
	u.mu.Unlock()
}

// describeProfileError says what failed and what to run, by the kind of
// profile it is.
func describeProfileError(ctx context.Context, profile string, err error) error {
	return fmt.Errorf("the AWS profile %s gave no credentials: %v; %s", profile, err, ProfileHint(ctx, profile))
}

// ProfileHint says what a person runs to make the profile resolve again,
// by what the profile is made of. hopd doctor shows it too.
func ProfileHint(ctx context.Context, profile string) string {
	sc, err := awsconfig.LoadSharedConfigProfile(ctx, profile)
	var missing awsconfig.SharedConfigProfileNotExistError
	switch {
	case errors.As(err, &missing):
		return fmt.Sprintf("add a [profile %s] section to ~/.aws/config, or set [user] profile to one that exists", profile)
	case err != nil:
		return fmt.Sprintf("fix ~/.aws/config (%v)", err)
	case sc.LoginSession != "":
		return fmt.Sprintf("run `aws login --profile %s`", profile)
	case sc.SSOSessionName != "" || sc.SSOStartURL != "":
		return fmt.Sprintf("run `aws sso login --profile %s`", profile)
	case sc.CredentialProcess != "":
		return fmt.Sprintf("check that the profile's credential_process works: `aws sts get-caller-identity --profile %s`", profile)
	}
	return fmt.Sprintf("check the profile with `aws sts get-caller-identity --profile %s`", profile)
}
