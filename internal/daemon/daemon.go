// Package daemon runs hopd: the broker, the server, the page, discovery and the tray around one config in force.
//
// cmd/hopd loads the config, takes the lock and hands New what it found;
// Listen binds every listener, and Run serves until its context ends. The
// daemon's parts reach the world through small seams (Options) that tests
// replace: STS, AWS Organizations, the desktop's notifications and the
// browser.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/broker"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/console"
	"github.com/hopd/hopd/internal/dashboard"
	"github.com/hopd/hopd/internal/discover"
	"github.com/hopd/hopd/internal/notify"
	"github.com/hopd/hopd/internal/server"
	"github.com/hopd/hopd/internal/tray"
)

// Keychain is where the daemon finds the users' keys and sessions (the
// broker's KeyStore) and Identity Center's tokens.
type Keychain interface {
	broker.KeyStore
	SSO(name, part string) ([]byte, error)
	SetSSO(name, part string, data []byte) error
	DeleteSSO(name, part string) error
}

// Notifier shows desktop notifications.
type Notifier interface {
	Show(ctx context.Context, n notify.Notification) error
	Close() error
}

// Options configure a Daemon.
type Options struct {
	ConfigPath string
	Config     *config.Config // the config loaded at start; a bad file is the caller's error
	StateDir   string
	Version    string
	Token      string // the token of the ECS endpoint and the control API
	Keys       Keychain
	Logger     *slog.Logger // nil: no log

	// Tray is the tray host to show the icon on; tray.NoHost (the zero
	// value) for none.
	Tray tray.Host

	// Seams for tests; nil takes the real thing.
	Now      func() time.Time // the broker's clock
	STS      broker.STSFactory
	Orgs     discover.OrgFactory
	Profiles broker.ProfileFactory
	SSO      SSO                                                  // default: internal/sso with the keychain and the browser
	Notifier Notifier                                             // default: the desktop's
	Open     func(ctx context.Context, url, browser string) error // default: console.Open
	Copy     func(ctx context.Context, text string) error         // the clipboard; default: tray.Copy
	// NoPeerCheck turns off the per-connection check that the client runs
	// as this user, for tests whose clients cannot pass it. Never in hopd.
	NoPeerCheck bool
}

// Daemon is one running hopd.
type Daemon struct {
	opts    Options
	log     *slog.Logger
	started time.Time
	broker  *broker.Broker
	server  *server.Server
	dash    *dashboard.Dashboard
	orgs    *discover.Discoverer
	sso     SSO
	ssoDisc *discover.SSODiscoverer
	base    context.Context // lives until Run returns: for what a request starts but must outlive it
	stop    context.CancelFunc
	changed chan struct{} // pokes the tray when the state changes in a way the broker does not announce
	recent  *recentServices
	console consoleSessions
	open    func(ctx context.Context, url, browser string) error

	effMu sync.Mutex // one effective config is put in force at a time

	mu        sync.Mutex
	cfg       *config.Config // the file's config in force
	configErr string         // why the file on disk is not in force
}

// New makes a daemon for opts.Config, with the accounts discovered last
// time already in force. Call Listen, then Run.
func New(opts Options) (*Daemon, error) {
	if opts.Config == nil || opts.Keys == nil {
		return nil, errors.New("daemon.New needs a config and a keychain")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Daemon{
		opts: opts, log: log, started: time.Now(), cfg: opts.Config,
		changed: make(chan struct{}, 1), open: opts.Open, sso: opts.SSO,
		recent: &recentServices{path: api.StateDir(opts.StateDir).ConsoleRecentFile()},
	}
	d.base, d.stop = context.WithCancel(context.Background())
	if d.open == nil {
		d.open = console.Open
	}
	if d.sso == nil {
		d.sso = d.defaultSSO()
	}
	d.sso.SetConfig(opts.Config)
	for _, u := range opts.Config.Users {
		if u.Profile != "" {
			continue
		}
		if _, err := opts.Keys.Keys(u.Name); err != nil {
			log.Warn("no usable keys for user: credentials will fail until they are stored", "user", u.Name, "fix", "hopd keys set "+u.Name, "err", err)
		}
	}
	d.broker = broker.New(opts.Config, broker.Options{Keys: opts.Keys, STS: opts.STS, Profiles: opts.Profiles, SSO: d.sso, Logger: log, Now: opts.Now})
	d.orgs = discover.New(opts.Config, discover.Options{
		Session:   d.broker,
		Orgs:      opts.Orgs,
		CacheFile: discover.CacheFile(opts.StateDir),
		Logger:    log,
	})
	d.orgs.OnChange(func([]discover.Account) { d.applyEffective() })
	d.ssoDisc = discover.NewSSO(opts.Config, discover.SSOOptions{
		Lister:    d.sso,
		CacheFile: api.StateDir(opts.StateDir).SSOCacheFile(),
		Logger:    log,
	})
	d.ssoDisc.OnChange(d.applyEffective)
	d.sso.OnSignIn(d.signedIn)
	d.dash = d.newDashboard()
	d.server = server.New(server.Options{
		Token:         opts.Token,
		Source:        d.broker,
		Info:          d.info,
		Reload:        d.Reload,
		Console:       d.consoleLink,
		SigninLink:    d.signinLink,
		Discover:      d.discoverNow,
		SSOLogin:      d.ssoLogin,
		KeysRemoved:   func(_ context.Context, user string) error { return d.broker.ForgetUser(user) },
		Logger:        log,
		PeerCheck:     !opts.NoPeerCheck,
		Page:          d.dash,
		OnServe:       d.dash.Record,
		DashboardLink: d.dashboardLink,
	})
	d.broker.SetConfig(d.effective(opts.Config))
	return d, nil
}

// Listen binds the main listener and the IMDS ports. Once it returns,
// clients can connect (they are answered when Run serves), so the caller
// can publish where hopd listens.
func (d *Daemon) Listen() error {
	return d.server.Listen(d.effectiveNow())
}

// Addr is the address the main listener is bound to; nil before Listen.
func (d *Daemon) Addr() string {
	if a := d.server.Addr(); a != nil {
		return a.String()
	}
	return ""
}

// Run serves until ctx ends (or the tray's Quit), then shuts down
// gracefully. With a tray host it shows the tray on the calling goroutine,
// which must be the main one on macOS.
func (d *Daemon) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer d.stop()
	defer d.broker.Close()
	context.AfterFunc(ctx, d.dash.Close)
	go d.announce(ctx)

	serveErr := make(chan error, 1)
	go func() { serveErr <- d.server.Serve(ctx, d.effectiveNow()) }()
	go d.runDiscovery(ctx)
	go d.ssoDisc.Run(ctx)
	go func() {
		w := &config.Watcher{Path: d.opts.ConfigPath, Initial: d.opts.Config, OnChange: d.apply, OnError: d.configFailed}
		if err := w.Run(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("watching the config stopped: edits take effect after `hopd` restarts or POST /v1/reload", "err", err)
		}
	}()
	d.log.Info("hopd is serving", "listen", d.Addr(), "accounts", len(d.broker.Status().Accounts), "config", d.opts.ConfigPath, "version", d.opts.Version,
		"use", "eval \"$(hopd env ACCOUNT)\", hopd exec ACCOUNT -- CMD, or credential_process from `hopd profiles write`")

	wait := func() error {
		select {
		case err := <-serveErr:
			if err != nil && ctx.Err() == nil {
				return err
			}
		case <-ctx.Done():
			d.log.Info("shutting down")
			if err := <-serveErr; err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
		}
		return nil
	}
	return d.runTray(ctx, cancel, wait)
}

func (d *Daemon) info() api.DaemonInfo {
	d.mu.Lock()
	cfg, configErr := d.cfg, d.configErr
	d.mu.Unlock()
	return api.DaemonInfo{
		Version: d.opts.Version, PID: os.Getpid(), Listen: cfg.Listen, ConfigPath: d.opts.ConfigPath,
		ConfigError: configErr, StateDir: d.opts.StateDir, Started: d.started,
		Discovery: d.discoveryInfo(), SSO: d.ssoInfo(cfg), Goroutines: runtime.NumGoroutine(),
	}
}

// config is the file's config in force.
func (d *Daemon) config() *config.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg
}

// apply puts a new valid config in force. The listen address cannot move
// while running (clients hold it): the server reports that as an error.
func (d *Daemon) apply(cfg *config.Config) {
	d.mu.Lock()
	d.cfg = cfg
	d.configErr = ""
	d.mu.Unlock()
	d.applyEffective()
	d.log.Info("config reloaded", "accounts", len(cfg.Accounts))
}

func (d *Daemon) configFailed(err error) {
	d.mu.Lock()
	d.configErr = err.Error()
	d.mu.Unlock()
	d.poke()
	d.log.Error("config not applied; the last good config stays in force", "err", err)
}

// Reload reads the config file again: POST /v1/reload, the tray, the page.
func (d *Daemon) Reload(context.Context) error {
	cfg, err := config.Load(d.opts.ConfigPath)
	if err != nil {
		d.configFailed(err)
		return err
	}
	d.apply(cfg)
	return nil
}

// effective is cfg with the discovered accounts: from AWS Organizations
// and from each [[sso]].
func (d *Daemon) effective(cfg *config.Config) *config.Config {
	return discover.MergeSSO(discover.Merge(cfg, d.orgs.Accounts()), d.ssoDisc.Accounts())
}

// effectiveNow is the effective config of the file's config in force.
func (d *Daemon) effectiveNow() *config.Config { return d.effective(d.config()) }

// applyEffective puts the file's config in force together with the
// discovered accounts: after a config reload and after a listing changed.
func (d *Daemon) applyEffective() {
	d.effMu.Lock()
	defer d.effMu.Unlock()
	// Read the config under the lock: a reload that came in meanwhile must
	// not be overtaken by an older one.
	cfg := d.config()
	d.orgs.SetConfig(cfg)
	d.ssoDisc.SetConfig(cfg)
	d.sso.SetConfig(cfg)
	eff := d.effective(cfg)
	d.broker.SetConfig(eff)
	for _, err := range d.server.Apply(eff) {
		d.log.Error("applying the config", "err", err)
	}
	d.poke()
}

// poke tells the tray that the state changed.
func (d *Daemon) poke() {
	select {
	case d.changed <- struct{}{}:
	default:
	}
}

// account finds an account among those in force: the config's and the
// discovered ones.
func (d *Daemon) account(name string) (broker.AccountStatus, bool) {
	for _, a := range d.broker.Status().Accounts {
		if a.Name == name {
			return a, true
		}
	}
	return broker.AccountStatus{}, false
}

// errGone is an account that left the config between a menu's build and
// a click on it.
func errGone(name string) error {
	return fmt.Errorf("no account named %q any more: the config changed", name)
}
