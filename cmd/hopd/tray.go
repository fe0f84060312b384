package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/autostart"
	"github.com/hopd/hopd/internal/console"
	"github.com/hopd/hopd/internal/tray"
)

// trayHost is whether hopd shows a tray icon, and why not.
type trayHost struct {
	host   tray.Host
	reason string // "" for none; "" also when --no-tray asked for none
}

// probeTray looks for a tray host, unless --no-tray.
func probeTray(ctx context.Context, noTray bool) trayHost {
	if noTray {
		return trayHost{host: tray.NoHost}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	host, reason := tray.Probe(ctx)
	return trayHost{host, reason}
}

// runTray shows the tray icon on this goroutine until ctx ends (or Quit is
// clicked, which cancels it), while wait serves; without a session bus it
// says so once and just serves.
func (d *daemon) runTray(ctx context.Context, cancel context.CancelFunc, wait func() error, th trayHost) error {
	if th.reason != "" {
		d.log.Info("running without a tray", "reason", th.reason)
	}
	if th.host == tray.NoHost {
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

// poke tells the tray that the state changed in a way the broker does not
// announce.
func (d *daemon) poke() {
	select {
	case d.changed <- struct{}{}:
	default:
	}
}

func (d *daemon) trayState() tray.State {
	st := d.broker.Status()
	d.mu.Lock()
	cfg, configErr := d.cfg, d.configErr
	d.mu.Unlock()
	s := tray.State{Users: st.Users, Accounts: st.Accounts, ConfigError: configErr}
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

// trayDo carries out a menu click.
func (d *daemon) trayDo(ctx context.Context, a tray.Action, quit context.CancelFunc) error {
	switch a.Kind {
	case tray.OpenConsole:
		link, err := d.consoleLink(ctx, a.Account, a.Region)
		if err != nil {
			return err
		}
		d.log.Info("opening the console", "account", a.Account, "region", a.Region)
		return console.Open(ctx, link.URL, link.Browser)
	case tray.CopyEnv:
		text, err := d.envLines(a.Account)
		if err != nil {
			return err
		}
		return tray.Copy(ctx, text)
	case tray.CopyCredentialProcess:
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("cannot tell where the hopd program is (%v): write credential_process = hopd creds %s", err, a.Account)
		}
		if strings.ContainsAny(exe, " \t") {
			exe = `"` + exe + `"`
		}
		return tray.Copy(ctx, "credential_process = "+exe+" creds "+a.Account+"\n")
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
	case tray.OpenDashboard:
		return d.openDashboard(ctx)
	case tray.Reload:
		return d.reload(ctx)
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
func (d *daemon) toggleAutostart(ctx context.Context) error {
	st, err := autostart.Status()
	if err != nil {
		return err
	}
	if st.Enabled {
		_, err = autostart.Disable(ctx)
		return err
	}
	cfgPath, err := filepath.Abs(d.path)
	if err != nil {
		return err
	}
	stateDir, err := filepath.Abs(d.stateDir)
	if err != nil {
		return err
	}
	_, err = autostart.Enable(ctx, autostart.Options{StateDir: stateDir, Args: []string{"--config", cfgPath, "--state-dir", stateDir}})
	return err
}

// envLines are `hopd env ACCOUNT`'s lines (the ECS form), for the clipboard.
func (d *daemon) envLines(name string) (string, error) {
	d.mu.Lock()
	listen := d.cfg.Listen
	d.mu.Unlock()
	a, ok := d.account(name)
	if !ok {
		return "", fmt.Errorf("no account named %q any more: the config changed", name)
	}
	var b strings.Builder
	b.WriteString("unset " + strings.Join(conflicting, " ") + "\n")
	for _, v := range [][2]string{
		{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://" + listen + "/creds/" + a.Name},
		{"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", api.StateDir(d.stateDir).TokenFile()},
		{"AWS_REGION", a.Region},
		{"AWS_DEFAULT_REGION", a.Region},
		{"HOPD_ACCOUNT", a.Name},
	} {
		fmt.Fprintf(&b, "export %s=%s\n", v[0], shellQuote(v[1]))
	}
	return b.String(), nil
}
