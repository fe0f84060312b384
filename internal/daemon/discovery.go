package daemon

import (
	"context"
	"errors"
	"time"

	"github.com/hopd/hopd/internal/api"
)

// sessionRetryGap keeps a broker that changes state often from starting a
// listing each time.
const sessionRetryGap = 30 * time.Second

// runDiscovery lists the organization's accounts when they are due until
// ctx is done, and again as soon as the user's session works after a
// listing failed for the want of one (an MFA code, say).
func (d *Daemon) runDiscovery(ctx context.Context) {
	go d.orgs.Run(ctx)
	changes, stop := d.broker.Subscribe()
	defer stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-changes:
		}
		st := d.orgs.Status()
		if !st.Enabled || st.LastError == "" || time.Since(last) < sessionRetryGap || !d.sessionReady() {
			continue
		}
		last = time.Now()
		_ = d.orgs.Refresh(ctx) // the outcome is in its status and log
	}
}

// sessionReady says whether the discover user has a session.
func (d *Daemon) sessionReady() bool {
	user := d.config().Discover.User
	for _, u := range d.broker.Status().Users {
		if u.Name == user {
			return u.State == api.UserOK
		}
	}
	return false
}

// discoverWait is how long a caller of discoverNow waits: less than the
// CLI and the server give a request.
const discoverWait = 25 * time.Second

// discoverNow lists the accounts at once: POST /v1/discover, from
// `hopd accounts --refresh` and the tray. A listing that takes longer than
// discoverWait goes on in the background rather than being cut off.
func (d *Daemon) discoverNow(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- d.orgs.Refresh(context.WithoutCancel(ctx)) }()
	wait := time.NewTimer(discoverWait)
	defer wait.Stop()
	select {
	case err := <-done:
		return err
	case <-wait.C:
		return errors.New("listing the organization's accounts is taking long; it goes on in the background: run `hopd accounts` again in a minute")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// discoveryInfo is discovery's part of GET /v1/status; nil when it is off.
func (d *Daemon) discoveryInfo() *api.DiscoveryInfo {
	st := d.orgs.Status()
	if !st.Enabled {
		return nil
	}
	return &api.DiscoveryInfo{Accounts: st.Accounts, LastRefresh: st.LastRefresh, LastError: st.LastError, NextRefresh: st.NextRefresh}
}
