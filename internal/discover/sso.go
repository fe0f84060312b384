package discover

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/hopd/hopd/internal/atomicfile"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/filetrust"
)

// SSOLister lists what the signed-in user of one [[sso]] is assigned:
// ListAccounts and ListAccountRoles over every page.
type SSOLister interface {
	Assignments(ctx context.Context, sso string) ([]SSOAccount, error)
}

// SSOOptions configure an SSODiscoverer.
type SSOOptions struct {
	Lister    SSOLister
	CacheFile string // where the last listings are kept; "" keeps none
	Logger    *slog.Logger
	Now       func() time.Time
	Refresh   time.Duration // how often to list again; default config.DefaultDiscoverRefresh
}

// SSOStatus is what the CLI, the tray and the page show about one
// [[sso]]'s listing.
type SSOStatus struct {
	Name        string    `json:"name"`
	Accounts    int       `json:"accounts"`
	Roles       int       `json:"roles"`
	LastRefresh time.Time `json:"last_refresh,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
}

// SSODiscoverer keeps the accounts and roles of every [[sso]]: from the
// cache at start, then listed again every Refresh and whenever Refresh is
// called (after a sign-in). A failed listing keeps the last one.
type SSODiscoverer struct {
	opts SSOOptions
	log  *slog.Logger
	kick chan struct{}
	sem  chan struct{}

	mu      sync.Mutex
	names   []string // the [[sso]] blocks in force
	listed  map[string]ssoListing
	errs    map[string]error
	retryAt map[string]time.Time
	fails   map[string]int
	hooks   []func()
}

type ssoListing struct {
	StartURL  string       `json:"start_url"` // a listing is for one start URL: another one lists anew
	Refreshed time.Time    `json:"refreshed"`
	Accounts  []SSOAccount `json:"accounts"`
}

type ssoCache struct {
	Version int                   `json:"version"`
	SSO     map[string]ssoListing `json:"sso"`
}

// NewSSO returns an SSODiscoverer with the cached listings of cfg's
// [[sso]] blocks.
func NewSSO(cfg *config.Config, opts SSOOptions) *SSODiscoverer {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Refresh <= 0 {
		opts.Refresh = config.DefaultDiscoverRefresh
	}
	d := &SSODiscoverer{
		opts: opts, log: opts.Logger,
		kick: make(chan struct{}, 1), sem: make(chan struct{}, 1),
		listed: map[string]ssoListing{}, errs: map[string]error{},
		retryAt: map[string]time.Time{}, fails: map[string]int{},
	}
	if opts.CacheFile != "" {
		c, err := readSSOCache(opts.CacheFile)
		if err != nil {
			d.log.Warn("ignoring the cached Identity Center accounts", "err", err)
		}
		maps.Copy(d.listed, c.SSO)
	}
	d.SetConfig(cfg)
	return d
}

// SetConfig applies a new configuration: listings of blocks that are gone
// or whose start URL changed are dropped, and Run lists the new ones.
func (d *SSODiscoverer) SetConfig(cfg *config.Config) {
	d.mu.Lock()
	d.names = d.names[:0]
	for _, s := range cfg.SSO {
		d.names = append(d.names, s.Name)
		if l, ok := d.listed[s.Name]; ok && l.StartURL != s.StartURL {
			delete(d.listed, s.Name)
		}
		if l := d.listed[s.Name]; l.StartURL == "" {
			d.listed[s.Name] = ssoListing{StartURL: s.StartURL}
		}
	}
	for name := range d.listed {
		if !slices.Contains(d.names, name) {
			delete(d.listed, name)
		}
	}
	d.mu.Unlock()
	d.wake()
}

// OnChange registers f to be called after a listing changed the accounts.
func (d *SSODiscoverer) OnChange(f func()) {
	d.mu.Lock()
	d.hooks = append(d.hooks, f)
	d.mu.Unlock()
}

// Accounts returns the last listing of every [[sso]] in force, for MergeSSO.
func (d *SSODiscoverer) Accounts() map[string][]SSOAccount {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string][]SSOAccount, len(d.names))
	for _, n := range d.names {
		if l := d.listed[n]; len(l.Accounts) > 0 {
			out[n] = slices.Clone(l.Accounts)
		}
	}
	return out
}

// Status reports each [[sso]]'s listing.
func (d *SSODiscoverer) Status() []SSOStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]SSOStatus, 0, len(d.names))
	for _, n := range d.names {
		l := d.listed[n]
		st := SSOStatus{Name: n, Accounts: len(l.Accounts), LastRefresh: l.Refreshed}
		for _, a := range l.Accounts {
			st.Roles += len(a.Roles)
		}
		if err := d.errs[n]; err != nil {
			st.LastError = err.Error()
		}
		out = append(out, st)
	}
	return out
}

// Run lists every [[sso]] when it is due until ctx is done.
func (d *SSODiscoverer) Run(ctx context.Context) {
	for ctx.Err() == nil {
		wait := maxSleep
		for _, name := range d.due(&wait) {
			_ = d.Refresh(ctx, name) // recorded for Status and logged
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-d.kick:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// due returns the blocks to list now and lowers *wait to the next one due.
func (d *SSODiscoverer) due(wait *time.Duration) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.opts.Now()
	var out []string
	for _, n := range d.names {
		next := d.listed[n].Refreshed.Add(d.opts.Refresh)
		if at, ok := d.retryAt[n]; ok {
			next = at
		}
		if in := next.Sub(now); in <= 0 {
			out = append(out, n)
		} else {
			*wait = min(*wait, in)
		}
	}
	return out
}

func (d *SSODiscoverer) wake() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Refresh lists one [[sso]] now (after a sign-in, or `hopd accounts
// --refresh`) and says why it could not; the last listing then stays.
func (d *SSODiscoverer) Refresh(ctx context.Context, name string) error {
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-d.sem }()
	start := d.opts.Now()
	lctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	found, err := d.opts.Lister.Assignments(lctx, name)
	cancel()

	d.mu.Lock()
	if !slices.Contains(d.names, name) {
		d.mu.Unlock()
		return fmt.Errorf("no [[sso]] named %s in the config", name)
	}
	if err != nil {
		d.fails[name]++
		d.errs[name] = err
		// A listing that fails for want of a sign-in is tried again when
		// the sign-in calls Refresh; the backoff only bounds the waiting.
		d.retryAt[name] = start.Add(min(backoff(d.fails[name]), d.opts.Refresh))
		d.mu.Unlock()
		if ctx.Err() == nil {
			d.log.Warn("listing the Identity Center accounts failed; the last list stays", "sso", name, "err", err)
		}
		return err
	}
	slices.SortFunc(found, func(a, b SSOAccount) int {
		if a.Name != b.Name {
			return cmp.Compare(a.Name, b.Name)
		}
		return cmp.Compare(a.ID, b.ID)
	})
	for i := range found {
		found[i].Roles = slices.Clone(found[i].Roles)
		slices.Sort(found[i].Roles)
	}
	prev := d.listed[name]
	changed := !slices.EqualFunc(prev.Accounts, found, func(a, b SSOAccount) bool {
		return a.ID == b.ID && a.Name == b.Name && slices.Equal(a.Roles, b.Roles)
	})
	d.listed[name] = ssoListing{StartURL: prev.StartURL, Refreshed: start, Accounts: found}
	delete(d.errs, name)
	delete(d.retryAt, name)
	delete(d.fails, name)
	snapshot := ssoCache{Version: cacheVersion, SSO: maps.Clone(d.listed)}
	hooks := slices.Clone(d.hooks)
	d.mu.Unlock()

	roles := 0
	for _, a := range found {
		roles += len(a.Roles)
	}
	d.log.Info("listed the Identity Center accounts", "sso", name, "accounts", len(found), "roles", roles, "changed", changed, "took", d.opts.Now().Sub(start).Round(time.Millisecond))
	if d.opts.CacheFile != "" {
		if err := writeSSOCache(d.opts.CacheFile, snapshot); err != nil {
			d.log.Warn("the Identity Center accounts will be listed again at the next start", "err", err)
		}
	}
	d.wake()
	if changed {
		for _, h := range hooks {
			h()
		}
	}
	return nil
}

func readSSOCache(path string) (ssoCache, error) {
	data, err := filetrust.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return ssoCache{}, nil
	}
	if err != nil {
		return ssoCache{}, fmt.Errorf("reading the Identity Center accounts: %w", err)
	}
	var c ssoCache
	if err := json.Unmarshal(data, &c); err != nil || c.Version != cacheVersion {
		return ssoCache{}, fmt.Errorf("%s is damaged or from another version of hopd: hopd lists the accounts anew", path)
	}
	for name, l := range c.SSO {
		for _, a := range l.Accounts {
			if !config.IsAccountID(a.ID) {
				return ssoCache{}, fmt.Errorf("%s is damaged (sso %s, account %q): hopd lists the accounts anew", path, name, a.ID)
			}
		}
	}
	return c, nil
}

func writeSSOCache(path string, c ssoCache) error {
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(data, '\n'), 0o600)
}
