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
// Input errors come before any call to AWS.
func (d *Daemon) consoleLink(ctx context.Context, req api.ConsoleRequest) (api.ConsoleLink, error) {
	cfg := d.config()
	signer := console.Signer{Endpoint: console.Endpoint(cfg.SigninURL)}
	region := req.Region
	if region != "" {
		var err error
		if region, err = console.ExpandRegion(region); err != nil {
			return api.ConsoleLink{}, err
		}
	}
	target := console.Target{Service: req.Service, Path: req.Path, URL: req.URL}

	var (
		creds          console.Credentials
		browser, color string
		ends           time.Time
		dest           string
		err            error
	)
	if a, ok := d.account(req.Account); ok {
		if region, dest, err = destination(target, region, a.Region); err != nil {
			return api.ConsoleLink{}, err
		}
		c, err := d.roleCreds(ctx, a.Name)
		if err != nil {
			return api.ConsoleLink{}, err
		}
		creds = console.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
		ends = c.Expiration
		if a.SSO != "" {
			// Identity Center's credentials are no role chain: the console
			// may last as long as they do, not the chain's one hour.
			signer.SessionDuration = time.Until(c.Expiration)
		}
		browser, color = cfg.Console.Browser, a.Color
		if fa, ok := d.effectiveNow().Account(a.Name); ok {
			browser = cfg.BrowserFor(fa)
		}
	} else if u, ok := cfg.User(req.Account); ok && u.Console {
		if region, dest, err = destination(target, region, u.Region); err != nil {
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
		browser, ends = cfg.Console.Browser, time.Now().Add(console.FederationDuration)
	} else {
		return api.ConsoleLink{}, fmt.Errorf("%w %q: see `hopd accounts` (or set console = true on a [user] for its own account)", broker.ErrUnknownAccount, req.Account)
	}
	template, err := console.BrowserTemplate(browser, req.Account, color, nil)
	if err != nil {
		return api.ConsoleLink{}, err
	}
	url, err := signer.LoginURL(ctx, creds, region, dest)
	if err != nil {
		return api.ConsoleLink{}, err
	}
	if req.Logout || cfg.Console.LogoutFirst {
		if url, err = console.LogoutFirst(url); err != nil {
			return api.ConsoleLink{}, err
		}
	}
	open, err := d.consoleOpenLink(url)
	if err != nil {
		return api.ConsoleLink{}, err
	}
	if !ends.IsZero() {
		d.console.opened(req.Account, ends)
		defer d.poke()
	}
	if req.Service != "" {
		if changed, err := d.recent.use(req.Service); err != nil {
			d.log.Warn("cannot remember the console service for the tray", "err", err)
		} else if changed {
			d.poke()
		}
	}
	return api.ConsoleLink{URL: url, Open: open, Browser: template, Ends: ends}, nil
}

// destination checks the region asked for (or takes the account's home)
// and returns it with the console URL to land on.
func destination(t console.Target, region, home string) (string, string, error) {
	if region == "" {
		region = home
	} else if err := console.CheckRegion(region, home); err != nil {
		return "", "", err
	}
	dest, err := console.Destination(t, region)
	return region, dest, err
}

// consoleOpenLink is a one-time link on hopd's own listener that leads
// the browser to url.
func (d *Daemon) consoleOpenLink(url string) (string, error) {
	addr := d.Addr()
	if addr == "" {
		return "", errors.New("hopd is not listening yet; try again in a moment")
	}
	return d.dash.NewConsoleLink("http://"+addr, url)
}

// openConsole opens an account's console in the browser: the tray's and
// the page's "Open console". The browser gets the one-time link.
func (d *Daemon) openConsole(ctx context.Context, req api.ConsoleRequest) error {
	link, err := d.consoleLink(ctx, req)
	if err != nil {
		return err
	}
	d.log.Info("opening the console", "account", req.Account, "region", req.Region, "service", req.Service)
	return console.ConsoleAdvice(d.open(ctx, link.Open, link.Browser), req.Account)
}

// pageConsole is the page's "Open console": the page opens the one-time
// link in a tab of its own, in the browser the user is looking at, rather
// than hopd starting the default browser; an account with a browser
// command (a container, a profile) still opens through it, and then the
// link is "".
func (d *Daemon) pageConsole(ctx context.Context, req api.ConsoleRequest) (string, error) {
	link, err := d.consoleLink(ctx, req)
	if err != nil {
		return "", err
	}
	if link.Browser != "" {
		d.log.Info("opening the console", "account", req.Account, "region", req.Region, "service", req.Service)
		return "", console.ConsoleAdvice(d.open(ctx, link.Open, link.Browser), req.Account)
	}
	d.log.Info("the page opens the console", "account", req.Account, "region", req.Region, "service", req.Service)
	return link.Open, nil
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
