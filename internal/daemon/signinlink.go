package daemon

import (
	"context"
	"fmt"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/broker"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/console"
)

// signinLink finds where a person signs in to the console as themselves:
// an IAM user's account sign-in page, or an [[sso]]'s access portal. name
// is a user, an account (its user's page), an [[sso]], or "" for the only
// one of them.
func (d *Daemon) signinLink(ctx context.Context, name string) (api.SigninLink, error) {
	cfg := d.config()
	if s, ok := d.ssoFor(cfg, name); ok {
		return api.SigninLink{URL: s.StartURL, Name: s.Name}, nil
	}
	u, err := d.signinUser(cfg, name)
	if err != nil {
		return api.SigninLink{}, err
	}
	if u.Profile != "" {
		return api.SigninLink{}, &badRequest{fmt.Sprintf("user %s signs in through its AWS profile %q, so hopd knows no sign-in page for it: ask the profile's owner, or run `aws configure list --profile %s`", u.Name, u.Profile, u.Profile)}
	}
	keys, err := d.opts.Keys.Keys(u.Name)
	if err != nil {
		return api.SigninLink{}, err
	}
	ids := console.NewIdentityAPI(u.Region, console.Credentials{AccessKeyID: keys.AccessKeyID, SecretAccessKey: keys.SecretAccessKey})
	url, alias, err := console.UserSignin(ctx, ids, u.Name, u.Region)
	if err != nil {
		return api.SigninLink{}, err
	}
	return api.SigninLink{URL: url, Name: u.Name, Alias: alias}, nil
}

// ssoFor is the [[sso]] that name means: one named so, the one an
// Identity Center account is listed from, or the only source when it is one.
func (d *Daemon) ssoFor(cfg *config.Config, name string) (config.SSO, bool) {
	want := name
	if a, ok := d.account(name); ok {
		want = a.SSO
	} else if name == "" && len(cfg.Users) == 0 && len(cfg.SSO) == 1 {
		want = cfg.SSO[0].Name
	}
	for _, s := range cfg.SSO {
		if want != "" && s.Name == want {
			return s, true
		}
	}
	return config.SSO{}, false
}

// signinUser is the [user] that name means.
func (d *Daemon) signinUser(cfg *config.Config, name string) (config.User, error) {
	if name == "" {
		if len(cfg.Users) == 1 {
			return cfg.Users[0], nil
		}
		return config.User{}, &badRequest{"there are several users (or none): name one, like `hopd signin-link michael`"}
	}
	if u, ok := cfg.User(name); ok {
		return u, nil
	}
	if a, ok := d.account(name); ok {
		if u, ok := cfg.User(a.User); ok {
			return u, nil
		}
	}
	return config.User{}, fmt.Errorf("%w %q: name a user, an account or an [[sso]] of the config", broker.ErrUnknownAccount, name)
}

// badRequest is an input error, for the control API (400).
type badRequest struct{ msg string }

func (e *badRequest) Error() string    { return e.msg }
func (e *badRequest) BadRequest() bool { return true }
