// Package sso signs in to IAM Identity Center and uses its tokens.
//
// One Client serves every [[sso]] block of the config: it registers hopd
// with sso-oidc, runs the sign-in (authorization code with PKCE on a
// loopback callback, or the device code), keeps the tokens in the
// keychain and refreshes them, and asks the access portal for the user's
// accounts, roles and role credentials.
package sso

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/awsenv"
	"github.com/hopd/hopd/internal/config"
)

// Store keeps the tokens and the client registration: the OS keychain.
// A part that is not stored is an error matching keychain.ErrNotFound.
type Store interface {
	SSO(name, part string) ([]byte, error)
	SetSSO(name, part string, data []byte) error
	DeleteSSO(name, part string) error
}

// Options configure a Client.
type Options struct {
	Store  Store
	Logger *slog.Logger
	Now    func() time.Time       // default time.Now
	Open   func(url string) error // opens the user's browser; nil: it cannot, so the device code is used
}

// NeedsSignInError says that an [[sso]] holds no usable token: nobody
// signed in, or the Identity Center session ended.
type NeedsSignInError struct{ Name string }

func (e *NeedsSignInError) Error() string {
	return "sign in to IAM Identity Center: `hopd sso login " + e.Name + "`"
}

// Client is IAM Identity Center for every [[sso]] of the config.
type Client struct {
	opts Options
	log  *slog.Logger
	http *http.Client

	mu      sync.Mutex
	blocks  map[string]config.SSO
	tokens  map[string]*token      // read from the store once, then kept
	logins  map[string]*login      // the sign-ins under way
	errs    map[string]string      // why the last refresh or sign-in failed
	refresh map[string]*sync.Mutex // one refresh at a time per [[sso]]
	hooks   []func(string)
}

// New returns a Client with no [[sso]] yet: call SetConfig.
func New(opts Options) *Client {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Client{
		opts: opts, log: opts.Logger, http: &http.Client{Timeout: 20 * time.Second},
		blocks: map[string]config.SSO{}, tokens: map[string]*token{}, logins: map[string]*login{},
		errs: map[string]string{}, refresh: map[string]*sync.Mutex{},
	}
}

// SetConfig puts the [[sso]] blocks of cfg in force. A block whose start
// URL or region changed forgets the tokens it held in memory; those in the
// store are checked against the block when read.
func (c *Client) SetConfig(cfg *config.Config) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := map[string]config.SSO{}
	for _, b := range cfg.SSO {
		next[b.Name] = b
		if old, ok := c.blocks[b.Name]; ok && (old.StartURL != b.StartURL || old.Region != b.Region) {
			delete(c.tokens, b.Name)
		}
	}
	c.blocks = next
}

// OnSignIn calls f with the block's name after each sign-in that succeeds.
func (c *Client) OnSignIn(f func(name string)) {
	c.mu.Lock()
	c.hooks = append(c.hooks, f)
	c.mu.Unlock()
}

// State says how the [[sso]] name is doing, for /v1/status and the tray.
func (c *Client) State(name string) (state api.SSOState, expires time.Time, login *api.SSOLogin, lastErr string) {
	c.mu.Lock()
	l := c.logins[name]
	lastErr = c.errs[name]
	c.mu.Unlock()
	if l != nil {
		info := l.info
		return api.SSOSigningIn, time.Time{}, &info, lastErr
	}
	tok, err := c.stored(name)
	switch {
	case tok != nil:
		return api.SSOSignedIn, tok.SessionEnds, nil, lastErr
	case err != nil && !isNeedsSignIn(err):
		return api.SSOError, time.Time{}, nil, err.Error()
	case lastErr != "" && c.unreachable(name):
		return api.SSOError, time.Time{}, nil, lastErr
	}
	return api.SSONeedsSignIn, time.Time{}, nil, lastErr
}

func (c *Client) unreachable(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, held := c.tokens[name]
	return held
}

// Logout forgets the tokens of the [[sso]] name, here and in the store.
func (c *Client) Logout(name string) error {
	c.mu.Lock()
	delete(c.tokens, name)
	c.mu.Unlock()
	if err := c.opts.Store.DeleteSSO(name, partToken); err != nil && !isNotFound(err) {
		return fmt.Errorf("deleting the IAM Identity Center token of %s: %w", name, err)
	}
	return nil
}

func (c *Client) block(name string) (config.SSO, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.blocks[name]
	if !ok {
		return config.SSO{}, fmt.Errorf("no [[sso]] named %q in the config in force", name)
	}
	return b, nil
}

// retryer retries throttling and transient failures with backoff: the
// portal throttles listings of big organisations.
func retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 6
		o.MaxBackoff = 5 * time.Second
	})
}

func (c *Client) oidc(b config.SSO) *ssooidc.Client {
	o := ssooidc.Options{Region: b.Region, HTTPClient: c.http, Retryer: retryer()}
	if e := awsenv.Endpoint("SSO_OIDC"); e != "" {
		o.BaseEndpoint = aws.String(e)
	}
	return ssooidc.New(o)
}

func (c *Client) portal(b config.SSO) *sso.Client {
	o := sso.Options{Region: b.Region, HTTPClient: c.http, Retryer: retryer()}
	if e := awsenv.Endpoint("SSO"); e != "" {
		o.BaseEndpoint = aws.String(e)
	}
	return sso.New(o)
}

// authorizeURL is sso-oidc's authorization page for the region.
func authorizeURL(b config.SSO, registered *string) string {
	if registered != nil && *registered != "" {
		return *registered
	}
	if e := awsenv.Endpoint("SSO_OIDC"); e != "" {
		return e + "/authorize"
	}
	return "https://oidc." + b.Region + ".amazonaws.com/authorize"
}

func isNeedsSignIn(err error) bool {
	var n *NeedsSignInError
	return errors.As(err, &n)
}

// withTimeout bounds a call to Identity Center.
func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, 30*time.Second)
}
