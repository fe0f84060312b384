package daemon

import (
	"context"
	"errors"
	"path/filepath"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/autostart"
	"github.com/hopd/hopd/internal/sdkenv"
	"github.com/hopd/hopd/internal/tray"
)

// runTray shows the tray icon on this goroutine until ctx ends (or Quit is
// clicked, which cancels it), while wait serves; without a tray host it
// just serves.
func (d *Daemon) runTray(ctx context.Context, cancel context.CancelFunc, wait func() error) error {
	if d.opts.Tray == tray.NoHost {
		return wait()
	}
	changes, unsubscribe := d.broker.Subscribe()
	defer unsubscribe()
	merged := make(chan struct{}, 1)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-changes:
			case <-d.changed:
			}
			select {
			case merged <- struct{}{}:
			default:
			}
		}
	}()

	served := make(chan error, 1)
	go func() {
		err := wait()
		cancel() // a server that fails ends the tray too
		served <- err
	}()
	tray.Run(ctx, tray.Options{
		State:   d.trayState,
		Changed: merged,
		Do:      func(ctx context.Context, a tray.Action) error { return d.trayDo(ctx, a, cancel) },
		Logger:  d.log,
	})
	cancel()
	return <-served
}

func (d *Daemon) trayState() tray.State {
	st := d.broker.Status()
	d.mu.Lock()
	cfg, configErr := d.cfg, d.configErr
	d.mu.Unlock()
	s := tray.State{Users: st.Users, Accounts: st.Accounts, ConfigError: configErr, SSO: d.ssoInfo(cfg), Services: d.recent.list(),
		ConsoleEnds: d.console.live(time.Now())}
	if as, err := autostart.Status(); err == nil {
		s.Autostart = &as.Enabled
	}
	for _, u := range cfg.Users {
		if u.Console {
			s.ConsoleUsers = append(s.ConsoleUsers, tray.ConsoleUser{Name: u.Name, Region: u.Region})
		}
	}
	return s
}

// copy puts text on the clipboard.
func (d *Daemon) copy(ctx context.Context, text string) error {
	if d.opts.Copy != nil {
		return d.opts.Copy(ctx, text)
	}
	return tray.Copy(ctx, text)
}

// trayDo carries out a menu click.
func (d *Daemon) trayDo(ctx context.Context, a tray.Action, quit context.CancelFunc) error {
	switch a.Kind {
	case tray.OpenConsole:
		return d.openConsole(ctx, api.ConsoleRequest{Account: a.Account, Region: a.Region, Service: a.Service})
	case tray.CopySigninLink:
		link, err := d.signinLink(ctx, a.Account)
		if err != nil {
			return err
		}
		return d.copy(ctx, link.URL)
	case tray.CopyEnv:
		text, err := d.envLines(a.Account, sdkenv.ECS)
		if err != nil {
			return err
		}
		return d.copy(ctx, text)
	case tray.CopyCredentialProcess:
		text, err := d.credentialProcessLine(a.Account)
		if err != nil {
			return err
		}
		return d.copy(ctx, text)
	case tray.EnterMFA:
		user := ""
		for _, u := range d.broker.Status().Users {
			if u.State == api.UserNeedsMFA {
				user = u.Name
				break
			}
		}
		if user == "" {
			return nil // a code came in some other way meanwhile
		}
		code, err := tray.AskMFACode(ctx, user)
		if errors.Is(err, tray.ErrNoDialog) {
			// The browser page has an MFA form, and a browser is always there.
			return d.openDashboard(ctx)
		}
		if err != nil {
			return err
		}
		return d.broker.SubmitMFA(ctx, user, code)
	case tray.SSOLogin:
		_, err := d.ssoLogin(ctx, api.SSOLoginRequest{Name: a.Account})
		return err
	case tray.OpenDashboard:
		return d.openDashboard(ctx)
	case tray.Reload:
		return d.Reload(ctx)
	case tray.ToggleAutostart:
		return d.toggleAutostart(ctx)
	case tray.Quit:
		d.log.Info("quit from the tray")
		quit()
	}
	return nil
}

// toggleAutostart turns starting at login on or off, like `hopd autostart
// enable|disable`. The entry names this daemon's config and state
// directory, so that it starts the same daemon even when they came from
// $HOPD_CONFIG or $HOPD_STATE_DIR, which a login session does not have.
func (d *Daemon) toggleAutostart(ctx context.Context) error {
	st, err := autostart.Status()
	if err != nil {
		return err
	}
	if st.Enabled {
		_, err = autostart.Disable(ctx)
		return err
	}
	cfgPath, err := filepath.Abs(d.opts.ConfigPath)
	if err != nil {
		return err
	}
	stateDir, err := filepath.Abs(d.opts.StateDir)
	if err != nil {
		return err
	}
	_, err = autostart.Enable(ctx, autostart.Options{StateDir: stateDir, Args: []string{"--config", cfgPath, "--state-dir", stateDir}})
	return err
}
