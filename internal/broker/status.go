package broker

import (
	"time"

	"github.com/hopd/hopd/internal/api"
)

// Status returns a snapshot of every user's session and every account's
// credentials, in config order. It holds no secrets.
func (b *Broker) Status() Status {
	now := b.now()
	b.mu.Lock()
	cfg := b.cfg
	users := b.users
	b.mu.Unlock()
	accounts := *b.accounts.Load()

	var st Status
	for _, uc := range cfg.Users {
		u := users[uc.Name]
		if u == nil {
			continue
		}
		st.Users = append(st.Users, b.userStatus(u, now))
	}
	for _, ac := range cfg.Accounts {
		a := accounts[ac.Name]
		if a == nil {
			continue
		}
		st.Accounts = append(st.Accounts, b.accountStatus(a, now))
	}
	return st
}

func (b *Broker) userStatus(u *user, now time.Time) UserStatus {
	u.mu.Lock()
	defer u.mu.Unlock()
	// Look at the keychain's cached session so status is right from the
	// first call after a restart, before any account was asked for. A
	// keychain that cannot be read shows as the user's last error; then
	// only requests try again, since on a desktop each try may prompt.
	if u.lastErr == "" && u.cfg.Profile == "" {
		_ = b.loadSession(u)
	}
	us := UserStatus{Name: u.cfg.Name, Profile: u.cfg.Profile, MFA: u.cfg.MFASerial != "", LastError: u.lastErr}
	switch {
	case u.session != nil && u.cfg.Profile != "" && u.session.Expiration.IsZero():
		us.State = api.UserOK // the profile's credentials do not expire
	case u.session != nil && u.session.Expiration.After(now):
		us.State = api.UserOK
		us.SessionExpires = u.session.Expiration
	case u.needMFA:
		us.State = api.UserNeedsMFA
	case u.noKeys:
		us.State = api.UserNoKeys
	case u.lastErr != "":
		us.State = api.UserError
	default:
		us.State = api.UserNoSession
	}
	return us
}

func (b *Broker) accountStatus(a *account, now time.Time) AccountStatus {
	a.mu.Lock()
	defer a.mu.Unlock()
	ac := a.cfg
	as := AccountStatus{
		Name: ac.Name, ID: ac.ID, Role: ac.Role, Region: ac.Region, Color: ac.Color,
		User: ac.User, SSO: ac.SSO, IMDSPort: ac.IMDSPort, LastError: a.lastErr, Refreshes: a.refreshes,
	}
	if lu := a.lastUsed.Load(); lu != 0 {
		as.LastUsed = time.Unix(0, lu).UTC()
	}
	c := a.creds.Load()
	switch {
	case a.inFlight:
		as.State = api.AccountRefreshing
	case c != nil && c.Expiration.Sub(now) >= b.opts.Floor:
		as.State = api.AccountFresh
	case a.lastErr != "":
		as.State = api.AccountError
	case c != nil:
		as.State = api.AccountExpired
	default:
		as.State = api.AccountIdle
	}
	if c != nil {
		as.Expires = c.Expiration
	}
	return as
}
