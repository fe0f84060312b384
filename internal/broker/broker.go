// Package broker turns an IAM user's keys into fresh role credentials for each account.
package broker

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/keychain"
)

// KeyStore is where the broker finds a user's long-lived keys and keeps the
// MFA session between restarts.
type KeyStore interface {
	Keys(user string) (keychain.Keys, error)
	Session(user string) (keychain.Session, error)
	SetSession(user string, s keychain.Session) error
	DeleteSession(user string) error
}

// refreshMargin is the default RefreshLead's distance above the floor: 2.14
// AssumeRole calls an hour per account in use instead of the floor's 2, and
// time for about five attempts with backoff (from 2.5 s, doubling) to ride
// out an STS blip or throttling before a client could see a 503. A longer
// STS outage reaches clients only as they start: SDKs that already hold
// credentials keep them for their 30 minutes or more.
const refreshMargin = 2 * time.Minute

// Options configure a Broker. Zero durations take the defaults below.
type Options struct {
	Keys     KeyStore
	STS      STSFactory     // default NewSTSFactory()
	Profiles ProfileFactory // for users with a profile; default NewProfileFactory()
	// SSO gives the credentials of accounts listed from IAM Identity Center
	// (config.Account.SSO set); nil when the config has no [[sso]].
	SSO    RoleSource
	Now    func() time.Time
	Logger *slog.Logger

	// Floor is the least lifetime credentials may have when served. botocore
	// stretches the expiry of credentials handed to it with under ~25 minutes
	// left, so serving less could let it use expired ones.
	Floor time.Duration // default 30m
	// RefreshLead is how long before expiry an account in use is refreshed
	// in the background. Its distance above Floor is all the time a failing
	// refresh has to succeed before clients get 503s, and every minute of
	// it costs STS calls: one-hour credentials refreshed at 60-L minutes
	// make 60/(60-L) calls an hour, against the floor's least of 2.
	RefreshLead time.Duration // default Floor + 2m
	// RoleDuration is asked of AssumeRole. Role chaining from a session caps
	// it at one hour.
	RoleDuration time.Duration // default 1h
	// IdleAfter is how long after its last request an account stops being
	// refreshed in the background.
	IdleAfter time.Duration // default 1h
	// Wait is how long a request may wait on STS before it is answered 503.
	// SDK IMDS clients give up after about a second.
	Wait time.Duration // default 900ms
}

// Broker hands out role credentials per account, fetching them once and
// refreshing those in use before they get close to expiry.
type Broker struct {
	opts    Options
	keys    KeyStore
	newSTS  STSFactory
	now     func() time.Time
	log     *slog.Logger
	flights singleflight.Group

	// ctx outlives any request: STS calls run on it so that a client that
	// gives up does not cancel the fetch the next client will want.
	ctx    context.Context
	cancel context.CancelFunc

	// accounts is read on every request without a lock; SetConfig replaces it.
	accounts atomic.Pointer[map[string]*account]

	mu    sync.Mutex // guards users, cfg and replacement of accounts
	cfg   *config.Config
	users map[string]*user

	subMu sync.Mutex
	subs  map[chan struct{}]struct{}
}

// account is the live state of one configured account.
type account struct {
	cfg      config.Account
	creds    atomic.Pointer[Creds]
	lastUsed atomic.Int64 // unix nanoseconds of the last request
	// refreshAt (unix nanoseconds, broker clock) is when the scheduled
	// refresh is due; before it, requests do not start one of their own.
	refreshAt atomic.Int64

	mu        sync.Mutex
	timer     *time.Timer
	failures  int
	lastErr   string
	failure   error     // the last failed fetch's error
	failedAt  time.Time // when it failed, on the monotonic clock
	refreshes int
	inFlight  bool
	closed    bool
}

// New returns a broker for cfg. Call Close when done.
func New(cfg *config.Config, opts Options) *Broker {
	if opts.STS == nil {
		opts.STS = NewSTSFactory()
	}
	if opts.Profiles == nil {
		opts.Profiles = NewProfileFactory()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	setDefault(&opts.Floor, 30*time.Minute)
	setDefault(&opts.RefreshLead, opts.Floor+refreshMargin)
	setDefault(&opts.RoleDuration, time.Hour)
	setDefault(&opts.IdleAfter, time.Hour)
	setDefault(&opts.Wait, 900*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	b := &Broker{
		opts:   opts,
		keys:   opts.Keys,
		newSTS: opts.STS,
		now:    opts.Now,
		log:    opts.Logger,
		ctx:    ctx,
		cancel: cancel,
		users:  map[string]*user{},
		subs:   map[chan struct{}]struct{}{},
	}
	empty := map[string]*account{}
	b.accounts.Store(&empty)
	b.SetConfig(cfg)
	return b
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// Close stops background refreshes and cancels STS calls in flight.
func (b *Broker) Close() {
	b.cancel()
	for _, a := range *b.accounts.Load() {
		a.stop()
	}
}

// SetConfig applies a new configuration. Accounts and users whose settings
// did not change keep their cached credentials.
func (b *Broker) SetConfig(cfg *config.Config) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cfg = cfg

	users := make(map[string]*user, len(cfg.Users))
	for _, uc := range cfg.Users {
		if old, ok := b.users[uc.Name]; ok && old.cfg == uc {
			users[uc.Name] = old
			continue
		}
		users[uc.Name] = &user{cfg: uc}
	}
	b.users = users

	old := *b.accounts.Load()
	next := make(map[string]*account, len(cfg.Accounts))
	for _, ac := range cfg.Accounts {
		if a, ok := old[ac.Name]; ok && sameIdentity(a.cfg, ac) {
			a.mu.Lock()
			a.cfg = ac // colour, region, ports may change without new credentials
			a.mu.Unlock()
			next[ac.Name] = a
			continue
		}
		next[ac.Name] = &account{cfg: ac}
	}
	for name, a := range old {
		if next[name] != a {
			a.stop()
		}
	}
	b.accounts.Store(&next)
	b.notify()
}

// sameIdentity reports whether credentials fetched for a stay valid for b.
func sameIdentity(a, b config.Account) bool {
	return a.ID == b.ID && a.Role == b.Role && a.User == b.User && a.SSO == b.SSO && config.Partition(a.Region) == config.Partition(b.Region)
}

// Credentials returns credentials for the named account with at least the
// floor's lifetime left. Cached credentials are answered at once; otherwise
// it waits at most Options.Wait for STS and then returns an
// *UnavailableError while the fetch goes on in the background.
func (b *Broker) Credentials(ctx context.Context, name string) (Creds, error) {
	a, ok := (*b.accounts.Load())[name]
	if !ok {
		return Creds{}, ErrUnknownAccount
	}
	// Expiry is judged on the wall clock at request time, so a laptop that
	// wakes from sleep never serves credentials that expired while it slept.
	now := b.now()
	a.noteUse(now.UnixNano())
	if c := a.creds.Load(); c != nil {
		left := c.Expiration.Sub(now)
		if left >= b.opts.Floor {
			if left < b.opts.RefreshLead && now.UnixNano() >= a.refreshAt.Load() {
				b.refreshAsync(a)
			}
			return *c, nil
		}
	}
	if err := a.recentFailure(); err != nil {
		return Creds{}, err
	}
	return b.waitForRefresh(ctx, a)
}

// useGrain is how precisely an account's last use is kept. Storing it on
// every request had the cores of a busy machine take the cache line, which
// also holds the credentials' pointer, from each other on every request.
const useGrain = int64(time.Millisecond)

func (a *account) noteUse(now int64) {
	if last := a.lastUsed.Load(); now-last >= useGrain || now < last {
		a.lastUsed.Store(now)
	}
}

// retryGap is how soon after a failed fetch a request may start another.
// Clients that retry at once, or many that ask at a time, must not turn an
// STS outage or throttling into a stream of calls; within the gap they get
// the failure again, at once.
const retryGap = time.Second

// recentFailure returns the error of a fetch that failed within retryGap.
func (a *account) recentFailure() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.failure != nil && time.Since(a.failedAt) < retryGap {
		return a.failure
	}
	return nil
}

func (b *Broker) waitForRefresh(ctx context.Context, a *account) (Creds, error) {
	ch := b.flights.DoChan("account/"+a.cfg.Name, func() (any, error) {
		return b.refresh(a)
	})
	wait := time.NewTimer(b.opts.Wait)
	defer wait.Stop()
	select {
	case r := <-ch:
		if r.Err != nil {
			return Creds{}, r.Err
		}
		return r.Val.(Creds), nil
	case <-wait.C:
		return Creds{}, &UnavailableError{
			Account: a.cfg.Name,
			Reason:  "STS has not answered yet; hopd keeps trying in the background: retry in a few seconds",
			Err:     context.DeadlineExceeded,
		}
	case <-ctx.Done():
		return Creds{}, ctx.Err()
	}
}

// refreshAsync starts a background refresh unless one is running.
func (b *Broker) refreshAsync(a *account) {
	go b.flights.Do("account/"+a.cfg.Name, func() (any, error) { //nolint:errcheck // the result is recorded in a
		return b.refresh(a)
	})
}

// Subscribe returns a channel that receives a value whenever the broker's
// state changes (credentials fetched, MFA needed, an error), coalesced so a
// slow reader never blocks the broker, and a function to unsubscribe.
func (b *Broker) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	b.subMu.Lock()
	b.subs[ch] = struct{}{}
	b.subMu.Unlock()
	return ch, func() {
		b.subMu.Lock()
		delete(b.subs, ch)
		b.subMu.Unlock()
	}
}

func (b *Broker) notify() {
	b.subMu.Lock()
	defer b.subMu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (b *Broker) closed() bool { return errors.Is(b.ctx.Err(), context.Canceled) }
