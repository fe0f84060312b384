// Package discover lists an AWS Organization's accounts so that hopd offers them without an [[account]] each.
package discover

import (
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/hopd/hopd/internal/config"
)

// Account is one discovered account.
type Account struct {
	Name    string `json:"name"`     // hopd's name for it: lower case and dashes, unique
	ID      string `json:"id"`       // 12 digits
	AWSName string `json:"aws_name"` // its name in AWS Organizations
}

// SessionSource gives the IAM user's session, which lists the accounts in
// the management account. The broker is one.
type SessionSource interface {
	SessionCredentials(ctx context.Context, user string) (aws.Credentials, error)
}

// Options configure a Discoverer.
type Options struct {
	Session   SessionSource
	Orgs      OrgFactory // default NewOrgFactory()
	CacheFile string     // where the last listing is kept; "" keeps none
	Logger    *slog.Logger
	Now       func() time.Time
}

// Status is what the CLI, the tray and the page show about discovery.
type Status struct {
	Enabled     bool      `json:"enabled"`
	Accounts    int       `json:"accounts"`
	LastRefresh time.Time `json:"last_refresh,omitzero"` // when the accounts in use were listed
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"` // why the last attempt failed; the last list stays
	NextRefresh time.Time `json:"next_refresh,omitzero"`
}

// refreshTimeout bounds one listing: hundreds of accounts take a few pages.
const refreshTimeout = 2 * time.Minute

// Discoverer keeps the list of discovered accounts: from the cache file at
// start, then listed again every Refresh, on demand, and when the
// [discover] settings change. A failed listing keeps the last list.
type Discoverer struct {
	opts Options
	log  *slog.Logger
	now  func() time.Time
	sem  chan struct{} // one listing at a time
	kick chan struct{} // wakes Run to reschedule

	mu          sync.Mutex
	settings    config.Discover
	region      string // the discover user's region, for the partition
	accounts    []Account
	listedWith  string // settingsKey of the listing in accounts
	refreshed   time.Time
	lastAttempt time.Time
	lastErr     error
	failures    int
	retryAt     time.Time // after a failure: when to try again
	failedWith  string    // settingsKey of the failed attempt
	next        time.Time
	hooks       []func([]Account)
}

// New returns a Discoverer for cfg with the accounts of the cache file, if
// there is one, so that they are there before anything is asked of AWS.
func New(cfg *config.Config, opts Options) *Discoverer {
	if opts.Orgs == nil {
		opts.Orgs = NewOrgFactory()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	d := &Discoverer{
		opts: opts,
		log:  opts.Logger,
		now:  opts.Now,
		sem:  make(chan struct{}, 1),
		kick: make(chan struct{}, 1),
	}
	d.SetConfig(cfg)
	if opts.CacheFile != "" {
		c, err := readCache(opts.CacheFile)
		if err != nil {
			d.log.Warn("ignoring the cached list of discovered accounts", "err", err)
		}
		d.accounts, d.listedWith, d.refreshed = c.Accounts, c.Settings, c.Refreshed
	}
	return d
}

// settingsKey identifies the settings that change what a listing returns.
// The role is not among them: it is applied when the config is merged.
func settingsKey(s config.Discover) string {
	b, _ := json.Marshal(struct {
		OUs         []string
		NamePattern string
		Exclude     []string
		User        string
	}{s.OUs, s.NamePattern, s.Exclude, s.User})
	return string(b)
}

// SetConfig applies a new configuration. When the [discover] settings
// changed, Run lists the accounts again at once.
func (d *Discoverer) SetConfig(cfg *config.Config) {
	region := ""
	if u, ok := cfg.User(cfg.Discover.User); ok {
		region = u.Region
	}
	d.mu.Lock()
	changed := settingsKey(d.settings) != settingsKey(cfg.Discover) || d.settings.Organizations != cfg.Discover.Organizations || d.settings.Refresh != cfg.Discover.Refresh
	d.settings, d.region = cfg.Discover, region
	d.mu.Unlock()
	if changed {
		d.wake()
	}
}

// OnChange registers f to get the new list after every listing that
// changed it. Calls come one at a time, in order, from the goroutine that
// listed, while no other listing runs: f must not call Refresh.
func (d *Discoverer) OnChange(f func([]Account)) {
	d.mu.Lock()
	d.hooks = append(d.hooks, f)
	d.mu.Unlock()
}

// Accounts returns the discovered accounts, by account id; none when
// discovery is off. Pass them to Merge, which applies the filters of the
// config in force.
func (d *Discoverer) Accounts() []Account {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.settings.Organizations {
		return nil
	}
	return slices.Clone(d.accounts)
}

// Status reports the state of discovery.
func (d *Discoverer) Status() Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := Status{Enabled: d.settings.Organizations}
	if !st.Enabled {
		return st
	}
	st.Accounts, st.LastRefresh, st.LastAttempt, st.NextRefresh = len(d.accounts), d.refreshed, d.lastAttempt, d.next
	if d.lastErr != nil {
		st.LastError = d.lastErr.Error()
	}
	return st
}

// Run lists the accounts whenever they are due until ctx is done: at once
// when the cache is missing, old or was listed with other settings, then
// every Refresh; after a failure sooner, backing off.
func (d *Discoverer) Run(ctx context.Context) {
	for ctx.Err() == nil {
		wait, due := d.schedule()
		if due {
			_ = d.refresh(ctx) // recorded for Status and logged
			continue
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-d.kick:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// maxSleep makes Run look at the wall clock at least this often: timers
// stop while a laptop sleeps, the wall clock does not.
const maxSleep = 5 * time.Minute

// schedule says how long Run should wait, or that a listing is due now.
func (d *Discoverer) schedule() (time.Duration, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.settings.Organizations {
		d.next = time.Time{}
		return maxSleep, false
	}
	now := d.now()
	switch {
	case d.lastErr != nil && d.failedWith == settingsKey(d.settings):
		d.next = d.retryAt
	case d.refreshed.IsZero() || d.listedWith != settingsKey(d.settings):
		d.next = now
	default:
		d.next = d.refreshed.Add(interval(d.settings))
	}
	wait := d.next.Sub(now)
	if wait <= 0 {
		return 0, true
	}
	return min(wait, maxSleep), false
}

// interval is how often the accounts are listed.
func interval(s config.Discover) time.Duration {
	if s.Refresh <= 0 {
		return config.DefaultDiscoverRefresh
	}
	return s.Refresh
}

// backoff is how long to wait after the n-th failure in a row: from about
// a minute, doubling, to about half an hour, with jitter so that many
// machines of one organization do not retry in step.
func backoff(n int) time.Duration {
	d := time.Minute << min(max(n-1, 0), 5)
	return d/2 + rand.N(d/2+1)
}

func (d *Discoverer) wake() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Refresh lists the accounts now and returns why it could not, if it could
// not; the last list then stays. It waits for a listing already running to
// finish first.
func (d *Discoverer) Refresh(ctx context.Context) error {
	err := d.refresh(ctx)
	d.wake()
	return err
}

func (d *Discoverer) refresh(ctx context.Context) error {
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-d.sem }()

	d.mu.Lock()
	s, region, prev := d.settings, d.region, d.accounts
	d.mu.Unlock()
	if !s.Organizations {
		return ErrDisabled
	}
	start := d.now()
	found, err := d.list(ctx, s, region)
	if err == nil {
		f := newFilter(s)
		kept := found[:0]
		for _, a := range found {
			if f.keep(a) {
				kept = append(kept, a)
			}
		}
		found = assignNames(kept, prev)
	}

	d.mu.Lock()
	d.lastAttempt = start
	if err != nil {
		d.failures++
		d.lastErr = err
		d.retryAt = start.Add(min(backoff(d.failures), interval(s)))
		d.failedWith = settingsKey(s)
		d.next = d.retryAt
		d.mu.Unlock()
		if ctx.Err() == nil {
			d.log.Warn("listing the organization's accounts failed; the last list stays", "accounts", len(prev), "err", err)
		}
		return err
	}
	changed := !slices.Equal(found, d.accounts)
	d.accounts, d.listedWith, d.refreshed = found, settingsKey(s), start
	d.failures, d.lastErr = 0, nil
	// Status is read by the hooks' callers at once, before Run reschedules.
	d.next = start.Add(interval(s))
	hooks := slices.Clone(d.hooks)
	d.mu.Unlock()

	d.log.Info("listed the organization's accounts", "accounts", len(found), "changed", changed, "took", d.now().Sub(start).Round(time.Millisecond))
	if d.opts.CacheFile != "" {
		if err := writeCache(d.opts.CacheFile, cache{Settings: settingsKey(s), Refreshed: start, Accounts: found}); err != nil {
			d.log.Warn("the list of accounts will be fetched again at the next start", "err", err)
		}
	}
	if changed {
		for _, h := range hooks {
			h(slices.Clone(found))
		}
	}
	return nil
}

// list asks AWS Organizations with the user's session.
func (d *Discoverer) list(ctx context.Context, s config.Discover, region string) ([]Account, error) {
	ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	if d.opts.Session == nil {
		return nil, ErrDisabled
	}
	creds, err := d.opts.Session.SessionCredentials(ctx, s.User)
	if err != nil {
		return nil, sessionError(err)
	}
	return listAccounts(ctx, d.opts.Orgs(region, creds), s.OUs)
}
