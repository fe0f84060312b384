package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/broker"
	"github.com/hopd/hopd/internal/console"
)

// consoleWait bounds how long a console sign-in waits for credentials
// that are not cached yet.
const consoleWait = 20 * time.Second

// consoleLink signs in to the console of an account, or of an IAM user's
// own account (console = true), for the control API, the tray and the page.
func (d *Daemon) consoleLink(ctx context.Context, name, region string) (api.ConsoleLink, error) {
	cfg := d.config()
	signer := console.Signer{Endpoint: console.Endpoint(cfg.SigninURL)}

	var creds console.Credentials
	var browser string
	if a, ok := d.account(name); ok {
		if region == "" {
			region = a.Region
		} else if err := console.CheckRegion(region, a.Region); err != nil {
			return api.ConsoleLink{}, err
		}
		c, err := d.roleCreds(ctx, name)
		if err != nil {
			return api.ConsoleLink{}, err
		}
		creds = console.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
		if a.SSO != "" {
			// Identity Center's credentials are no role chain: the console
			// may last as long as they do, not the chain's one hour.
			signer.SessionDuration = time.Until(c.Expiration)
		}
		if fa, ok := d.effectiveNow().Account(name); ok {
			browser = fa.Browser
		}
	} else if u, ok := cfg.User(name); ok && u.Console {
		if region == "" {
			region = u.Region
		} else if err := console.CheckRegion(region, u.Region); err != nil {
			return api.ConsoleLink{}, err
		}
		keys, err := d.opts.Keys.Keys(u.Name)
		if err != nil {
			return api.ConsoleLink{}, err
		}
		fed := console.NewFederationAPI(u.Region, console.Credentials{AccessKeyID: keys.AccessKeyID, SecretAccessKey: keys.SecretAccessKey})
		if creds, err = console.FederationCredentials(ctx, fed, u.Name); err != nil {
			return api.ConsoleLink{}, err
		}
	} else {
		return api.ConsoleLink{}, fmt.Errorf("%w %q: see `hopd accounts` (or set console = true on a [user] for its own account)", broker.ErrUnknownAccount, name)
	}
	url, err := signer.LoginURL(ctx, creds, region)
	if err != nil {
		return api.ConsoleLink{}, err
	}
	return api.ConsoleLink{URL: url, Browser: browser}, nil
}

// openConsole opens an account's console in the browser: the tray's and
// the page's "Open console".
func (d *Daemon) openConsole(ctx context.Context, account, region string) error {
	link, err := d.consoleLink(ctx, account, region)
	if err != nil {
		return err
	}
	d.log.Info("opening the console", "account", account, "region", region)
	return d.open(ctx, link.URL, link.Browser)
}

// roleCreds waits for an account's credentials longer than an SDK would:
// a person who clicked can wait for STS a few seconds.
func (d *Daemon) roleCreds(ctx context.Context, name string) (broker.Creds, error) {
	ctx, cancel := context.WithTimeout(ctx, consoleWait)
	defer cancel()
	for {
		c, err := d.broker.Credentials(ctx, name)
		if err == nil || !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return c, err
		}
		select {
		case <-ctx.Done():
			return c, err
		case <-time.After(250 * time.Millisecond):
		}
	}
}
