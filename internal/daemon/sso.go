package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/broker"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/discover"
	"github.com/hopd/hopd/internal/notify"
)

// SSO is IAM Identity Center as the daemon uses it: the sign-ins, the
// tokens they leave and what those give (role credentials, listings).
// internal/sso is the real one.
type SSO interface {
	broker.RoleSource
	discover.SSOLister
	SetConfig(cfg *config.Config)
	Login(ctx context.Context, name string, noBrowser bool) (api.SSOLogin, error)
	State(name string) (state api.SSOState, expires time.Time, login *api.SSOLogin, lastErr string)
	OnSignIn(f func(name string))
}

// signedIn is called by the SSO client once a sign-in succeeds: accounts
// that failed for want of it are fetched again, and the [[sso]] is listed
// at once so that new accounts appear without waiting for the schedule.
func (d *Daemon) signedIn(name string) {
	d.log.Info("signed in to IAM Identity Center", "sso", name)
	d.broker.RefreshSSO(name)
	d.poke()
	go func() {
		ctx, cancel := context.WithTimeout(d.base, 2*time.Minute)
		defer cancel()
		if err := d.ssoDisc.Refresh(ctx, name); err != nil && ctx.Err() == nil {
			d.log.Warn("listing the accounts of IAM Identity Center failed; the last list stays", "sso", name, "err", err)
		}
		d.poke()
	}()
}

// ssoLogin starts a sign-in for POST /v1/sso/login, the tray and the page.
// It lives as long as the daemon, not as long as the request that asked.
func (d *Daemon) ssoLogin(_ context.Context, req api.SSOLoginRequest) (api.SSOLogin, error) {
	cfg := d.config()
	if len(cfg.SSO) == 0 {
		return api.SSOLogin{}, errors.New("the config has no [[sso]] block: add one with start_url and region (see docs/configuration.md)")
	}
	name := req.Name
	if name == "" {
		name = cfg.SSO[0].Name
	} else if _, ok := cfg.LookupSSO(name); !ok {
		return api.SSOLogin{}, fmt.Errorf("no [[sso]] named %q in the config; the config has %s", name, ssoNames(cfg))
	}
	login, err := d.sso.Login(d.base, name, req.NoBrowser)
	d.poke()
	return login, err
}

func ssoNames(cfg *config.Config) string {
	names := make([]string, len(cfg.SSO))
	for i, s := range cfg.SSO {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

// ssoInfo is each [[sso]]'s state, for /v1/status and the tray.
func (d *Daemon) ssoInfo(cfg *config.Config) []api.SSOInfo {
	if len(cfg.SSO) == 0 {
		return nil
	}
	listed := map[string]discover.SSOStatus{}
	for _, st := range d.ssoDisc.Status() {
		listed[st.Name] = st
	}
	out := make([]api.SSOInfo, 0, len(cfg.SSO))
	for _, s := range cfg.SSO {
		state, expires, login, lastErr := d.sso.State(s.Name)
		l := listed[s.Name]
		if lastErr == "" {
			lastErr = l.LastError
		}
		out = append(out, api.SSOInfo{
			Name: s.Name, StartURL: s.StartURL, Region: s.Region, State: state, Expires: expires,
			Accounts: l.Accounts, Roles: l.Roles, LastRefresh: l.LastRefresh, LastError: lastErr, Login: login,
		})
	}
	return out
}

// announceSSO asks on the desktop for a sign-in when a request needed one
// (an account of that [[sso]] failed for want of it): once each time.
func (d *Daemon) announceSSO(ctx context.Context, show func(string, notify.Notification), asked map[string]bool) {
	needed := map[string]bool{}
	for _, a := range d.broker.Status().Accounts {
		if a.SSO != "" && strings.Contains(a.LastError, "hopd sso login") {
			needed[a.SSO] = true
		}
	}
	for _, s := range d.config().SSO {
		if needed[s.Name] && !asked[s.Name] {
			name := s.Name
			show("a sign-in to IAM Identity Center "+name, notify.Notification{
				Title: "hopd needs you to sign in to " + name,
				Body:  "Credentials from IAM Identity Center " + name + " wait for a sign-in. Click here, choose Sign in to " + name + "… in the tray, or run `hopd sso login " + name + "`.",
				OnClick: func() {
					if _, err := d.ssoLogin(ctx, api.SSOLoginRequest{Name: name}); err != nil {
						d.log.Warn("starting the IAM Identity Center sign-in failed", "sso", name, "err", err)
					}
				},
			})
		}
		asked[s.Name] = needed[s.Name]
	}
}
