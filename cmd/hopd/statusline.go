package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/discover"
)

// discovery is the daemon's account discovery. The broker and the server
// run with the effective config: the file's config plus the discovered
// accounts, which changes when either does.
type discovery struct {
	d  *discover.Discoverer
	mu sync.Mutex // one effective config is put in force at a time
}

// sessionRetryGap keeps a broker that changes state often from starting a
// listing each time.
const sessionRetryGap = 30 * time.Second

// startDiscovery sets discovery up with the accounts of the last listing
// (from the state directory, so they are there without waiting on AWS),
// puts the effective config in force in the broker and returns it, for
// the server to start with.
func (d *daemon) startDiscovery(cfg *config.Config) *config.Config {
	disc := discover.New(cfg, discover.Options{
		Session:   d.broker,
		CacheFile: discover.CacheFile(d.stateDir),
		Logger:    d.log,
	})
	d.disc = &discovery{d: disc}
	disc.OnChange(func([]discover.Account) { d.applyEffective() })
	eff := discover.Merge(cfg, disc.Accounts())
	if eff != cfg {
		d.broker.SetConfig(eff)
	}
	return eff
}

// runDiscovery lists the accounts when they are due until ctx is done, and
// again as soon as the user's session works after a listing failed for the
// want of one (an MFA code, say).
func (d *daemon) runDiscovery(ctx context.Context) {
	if d.disc == nil {
		return
	}
	go d.disc.d.Run(ctx)
	changes, stop := d.broker.Subscribe()
	defer stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-changes:
		}
		st := d.disc.d.Status()
		if !st.Enabled || st.LastError == "" || time.Since(last) < sessionRetryGap || !d.sessionReady() {
			continue
		}
		last = time.Now()
		_ = d.disc.d.Refresh(ctx) // the outcome is in its status and log
	}
}

// sessionReady says whether the discover user has a session.
func (d *daemon) sessionReady() bool {
	d.mu.Lock()
	user := d.cfg.Discover.User
	d.mu.Unlock()
	for _, u := range d.broker.Status().Users {
		if u.Name == user {
			return u.State == api.UserOK
		}
	}
	return false
}

// applyEffective puts the file's config in force together with the
// discovered accounts: after a config reload and after a listing changed.
func (d *daemon) applyEffective() {
	d.mu.Lock()
	cfg := d.cfg
	d.mu.Unlock()
	eff := cfg
	if d.disc != nil {
		d.disc.mu.Lock()
		defer d.disc.mu.Unlock()
		// Read the config again under the lock: a reload that came in
		// meanwhile must not be overtaken by this older one.
		d.mu.Lock()
		cfg = d.cfg
		d.mu.Unlock()
		d.disc.d.SetConfig(cfg)
		eff = discover.Merge(cfg, d.disc.d.Accounts())
	}
	d.broker.SetConfig(eff)
	for _, err := range d.server.Apply(eff) {
		d.log.Error("applying the config", "err", err)
	}
}

// discoverWait is how long a caller of discoverNow waits: less than the
// CLI and the server give a request.
const discoverWait = 25 * time.Second

// discoverNow lists the accounts at once: POST /v1/discover, from
// `hopd accounts --refresh` and the tray. A listing that takes longer than
// discoverWait goes on in the background rather than being cut off.
func (d *daemon) discoverNow(ctx context.Context) error {
	if d.disc == nil {
		return discover.ErrDisabled
	}
	done := make(chan error, 1)
	go func() { done <- d.disc.d.Refresh(context.WithoutCancel(ctx)) }()
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
func (d *daemon) discoveryInfo() *api.DiscoveryInfo {
	if d.disc == nil {
		return nil
	}
	st := d.disc.d.Status()
	if !st.Enabled {
		return nil
	}
	return &api.DiscoveryInfo{Accounts: st.Accounts, LastRefresh: st.LastRefresh, LastError: st.LastError, NextRefresh: st.NextRefresh}
}

// printDiscovery is discovery's line in `hopd status`.
func printDiscovery(w io.Writer, di *api.DiscoveryInfo, now time.Time) {
	if di == nil {
		return
	}
	line := fmt.Sprintf("discovery: %d accounts from AWS Organizations", di.Accounts)
	if di.LastRefresh.IsZero() {
		line += ", not listed yet"
	} else {
		line += fmt.Sprintf(", listed %s ago", now.Sub(di.LastRefresh).Round(time.Second))
	}
	if !di.NextRefresh.IsZero() && di.NextRefresh.After(now) {
		line += fmt.Sprintf(", next in %s", di.NextRefresh.Sub(now).Round(time.Second))
	}
	if di.LastError != "" {
		line += "; last attempt failed (the last list stays): " + di.LastError
	}
	fmt.Fprintln(w, line)
}
