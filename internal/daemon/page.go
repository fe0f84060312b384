package daemon

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/console"
	"github.com/hopd/hopd/internal/dashboard"
	"github.com/hopd/hopd/internal/notify"
	"github.com/hopd/hopd/internal/sdkenv"
)

// newDashboard makes the daemon's browser page.
func (d *Daemon) newDashboard() *dashboard.Dashboard {
	return dashboard.New(dashboard.Options{
		Source: d.broker,
		OpenConsole: func(ctx context.Context, account, service string) (string, error) {
			return d.pageConsole(ctx, api.ConsoleRequest{Account: account, Service: service})
		},
		Reload:   d.Reload,
		EnvLines: func(account string) (string, error) { return d.envLines(account, sdkenv.ECS) },
		SSOLogin: func(ctx context.Context, name string) (api.SSOLogin, error) {
			return d.ssoLogin(ctx, api.SSOLoginRequest{Name: name})
		},
		Info: func() dashboard.Info {
			d.mu.Lock()
			cfg, configErr := d.cfg, d.configErr
			d.mu.Unlock()
			return dashboard.Info{Version: d.opts.Version, ConfigPath: d.opts.ConfigPath, ConfigError: configErr, SSO: d.ssoInfo(cfg), Services: d.recent.list(),
				ConsoleEnds: d.console.live(time.Now()), OwnBrowser: ownBrowsers(d.effectiveNow())}
		},
		Logger: d.log,
	})
}

// ownBrowsers are the accounts whose console opens through a browser
// command, which the page cannot open in a tab of its own.
func ownBrowsers(cfg *config.Config) map[string]bool {
	own := map[string]bool{}
	for _, a := range cfg.Accounts {
		if cfg.BrowserFor(a) != "" {
			own[a.Name] = true
		}
	}
	return own
}

// envLines are `hopd env ACCOUNT`'s lines for an account in force, for
// the tray's and the page's copies.
func (d *Daemon) envLines(name string, mode sdkenv.Mode) (string, error) {
	a, ok := d.account(name)
	if !ok {
		return "", errGone(name)
	}
	return sdkenv.EnvLines(sdkenv.Account{Name: a.Name, Region: a.Region, IMDSPort: a.IMDSPort, Listen: d.config().Listen, StateDir: d.opts.StateDir}, mode)
}

// credentialProcessLine is the profile line `hopd profiles write` writes
// for an account, for the tray's copy.
func (d *Daemon) credentialProcessLine(name string) (string, error) {
	if _, ok := d.account(name); !ok {
		return "", errGone(name)
	}
	self, err := sdkenv.Self()
	if err != nil {
		return "", err
	}
	def, _ := config.DefaultStateDir()
	command, err := sdkenv.CredsCommand(self, d.opts.StateDir, def)
	if err != nil {
		return "", err
	}
	return sdkenv.CredentialProcessLine(command, name), nil
}

// dashboardLink is a one-time link to the page, on the address the server
// really listens on.
func (d *Daemon) dashboardLink(context.Context) (string, error) {
	addr := d.Addr()
	if addr == "" {
		return "", errors.New("hopd is not listening yet; try again in a moment")
	}
	return d.dash.NewLink("http://" + addr)
}

// openDashboard opens the page in the default browser, for the tray and a
// click on a notification.
func (d *Daemon) openDashboard(ctx context.Context) error {
	url, err := d.dashboardLink(ctx)
	if err != nil {
		return err
	}
	return console.DashboardAdvice(d.open(ctx, url, ""))
}

// announce shows a desktop notification each time a user comes to need an
// MFA code: once per time, not once per request that waits for it.
func (d *Daemon) announce(ctx context.Context) {
	n := d.opts.Notifier
	if n == nil {
		n = notify.New("hopd")
	}
	defer func() { _ = n.Close() }()
	changes, unsubscribe := d.broker.Subscribe()
	defer unsubscribe()
	var reportOnce sync.Once
	show := func(what string, note notify.Notification) {
		if err := n.Show(ctx, note); err != nil {
			reportOnce.Do(func() { d.log.Info("no desktop notifications", "reason", err) })
			return
		}
		d.log.Info("asked on the desktop", "for", what)
	}
	waiting, asked := map[string]bool{}, map[string]bool{}
	for {
		d.announceSSO(ctx, show, asked)
		for _, u := range d.broker.Status().Users {
			need := u.State == api.UserNeedsMFA
			if need && !waiting[u.Name] {
				show("an MFA code for "+u.Name, notify.Notification{
					Title: "hopd needs an MFA code",
					Body: "Credentials for " + u.Name + " wait for a code from the MFA device. " +
						"Click here, choose Enter MFA code… in the tray, or run `hopd mfa`.",
					OnClick: d.openDashboardLogged(ctx),
				})
			}
			waiting[u.Name] = need
		}
		select {
		case <-ctx.Done():
			return
		case <-changes:
		}
	}
}

func (d *Daemon) openDashboardLogged(ctx context.Context) func() {
	return func() {
		if err := d.openDashboard(ctx); err != nil {
			d.log.Warn("opening the dashboard failed", "err", err)
		}
	}
}
