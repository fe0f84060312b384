package sso

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc/types"

	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/keychain"
)

// The parts kept in the store for each [[sso]].
const (
	partToken  = "token"
	partClient = "client"
)

// refreshLead is how long before its expiry an access token is refreshed.
const refreshLead = 5 * time.Minute

// token is what a sign-in leaves. It never leaves the store and this
// package: no log line or error carries any of it.
type token struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	ExpiresAt    time.Time `json:"expires_at"`
	StartURL     string    `json:"start_url"`
	Region       string    `json:"region"`
	SignedInAt   time.Time `json:"signed_in_at"`
	// SessionEnds is when the sign-in ends, as far as hopd can tell: the
	// access token's expiry when there is no refresh token, else unknown.
	SessionEnds time.Time `json:"session_ends,omitzero"`
}

// registration is hopd's client registration with sso-oidc for one
// start URL.
type registration struct {
	ClientID     string    `json:"client_id"`
	ClientSecret string    `json:"client_secret"`
	ExpiresAt    time.Time `json:"expires_at"`
	StartURL     string    `json:"start_url"`
	Region       string    `json:"region"`
	AuthorizeURL string    `json:"authorize_url,omitempty"`
}

func isNotFound(err error) bool { return errors.Is(err, keychain.ErrNotFound) }

// stored is the block's token, from memory or the store; nil with a
// NeedsSignInError when there is none for the block as configured.
func (c *Client) stored(name string) (*token, error) {
	b, err := c.block(name)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	tok, ok := c.tokens[name]
	c.mu.Unlock()
	if ok {
		return tok, nil
	}
	data, err := c.opts.Store.SSO(name, partToken)
	if isNotFound(err) {
		return nil, &NeedsSignInError{Name: name}
	}
	if err != nil {
		return nil, err
	}
	tok = &token{}
	if json.Unmarshal(data, tok) != nil || tok.AccessToken == "" || !sameStartURL(tok.StartURL, b.StartURL) || tok.Region != b.Region {
		// Another start URL (the config changed) or a damaged item: the
		// user signs in again, which replaces it.
		return nil, &NeedsSignInError{Name: name}
	}
	c.mu.Lock()
	c.tokens[name] = tok
	c.mu.Unlock()
	return tok, nil
}

func sameStartURL(a, b string) bool { return strings.TrimRight(a, "/#") == strings.TrimRight(b, "/#") }

// save keeps a new token in the store and in memory.
func (c *Client) save(name string, tok *token) error {
	data, _ := json.Marshal(tok)
	if err := c.opts.Store.SetSSO(name, partToken, data); err != nil {
		return fmt.Errorf("keeping the IAM Identity Center token of %s in the keychain: %w", name, err)
	}
	c.mu.Lock()
	c.tokens[name] = tok
	delete(c.errs, name)
	c.mu.Unlock()
	return nil
}

// forget drops a token that Identity Center no longer takes.
func (c *Client) forget(name string, tok *token) {
	c.mu.Lock()
	if c.tokens[name] == tok {
		delete(c.tokens, name)
	}
	c.mu.Unlock()
	if err := c.opts.Store.DeleteSSO(name, partToken); err != nil && !isNotFound(err) {
		c.log.Warn("deleting an ended IAM Identity Center token failed", "sso", name, "err", err)
	}
}

// accessToken is a usable access token of the block: the one held, or a
// refreshed one when it is near its expiry. Concurrent callers share one
// refresh. stale is a token the portal refused: it is refreshed whatever
// its expiry says.
func (c *Client) accessToken(ctx context.Context, name string, stale *token) (*token, error) {
	tok, err := c.stored(name)
	if err != nil {
		return nil, err
	}
	if tok != stale && c.opts.Now().Add(refreshLead).Before(tok.ExpiresAt) {
		return tok, nil
	}
	c.mu.Lock()
	mu, ok := c.refresh[name]
	if !ok {
		mu = &sync.Mutex{}
		c.refresh[name] = mu
	}
	c.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	if tok, err = c.stored(name); err != nil {
		return nil, err
	}
	if tok != stale && c.opts.Now().Add(refreshLead).Before(tok.ExpiresAt) {
		return tok, nil // another caller refreshed it meanwhile
	}
	return c.refreshToken(ctx, name, tok)
}

// refreshToken trades the refresh token for a new access token. When
// Identity Center says the session ended, the token is forgotten and the
// answer is a NeedsSignInError.
func (c *Client) refreshToken(ctx context.Context, name string, tok *token) (*token, error) {
	if tok.RefreshToken == "" {
		if c.opts.Now().Before(tok.ExpiresAt) {
			return tok, nil
		}
		c.forget(name, tok)
		return nil, &NeedsSignInError{Name: name}
	}
	b, err := c.block(name)
	if err != nil {
		return nil, err
	}
	reg, err := c.registered(name, b)
	if err != nil {
		if isNeedsSignIn(err) {
			c.forget(name, tok)
		}
		return nil, err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	out, err := c.oidc(b).CreateToken(ctx, &ssooidc.CreateTokenInput{
		ClientId: aws.String(reg.ClientID), ClientSecret: aws.String(reg.ClientSecret),
		GrantType: aws.String("refresh_token"), RefreshToken: aws.String(tok.RefreshToken),
	})
	if err != nil {
		var grant *types.InvalidGrantException
		var expired *types.ExpiredTokenException
		var client *types.InvalidClientException
		if errors.As(err, &grant) || errors.As(err, &expired) || errors.As(err, &client) {
			if client != nil {
				_ = c.opts.Store.DeleteSSO(name, partClient)
			}
			c.log.Info("the IAM Identity Center session ended; sign in again", "sso", name, "fix", "hopd sso login "+name)
			c.forget(name, tok)
			return nil, &NeedsSignInError{Name: name}
		}
		c.failed(name, fmt.Errorf("refreshing the IAM Identity Center token of %s failed (%s); hopd tries again at the next request", name, short(err)))
		if c.opts.Now().Before(tok.ExpiresAt) {
			return tok, nil // still good for a few minutes
		}
		return nil, fmt.Errorf("cannot reach IAM Identity Center in %s to refresh the sign-in of %s: check the network (%s)", b.Region, name, short(err))
	}
	next := c.tokenFrom(b, out, tok.SignedInAt)
	if next.RefreshToken == "" {
		next.RefreshToken = tok.RefreshToken // not rotated: the old one stays good
		next.SessionEnds = time.Time{}
	}
	if err := c.save(name, next); err != nil {
		return nil, err
	}
	c.log.Debug("refreshed the IAM Identity Center token", "sso", name, "expires", next.ExpiresAt)
	return next, nil
}

func (c *Client) tokenFrom(b config.SSO, out *ssooidc.CreateTokenOutput, signedIn time.Time) *token {
	now := c.opts.Now()
	if signedIn.IsZero() {
		signedIn = now
	}
	t := &token{
		AccessToken: aws.ToString(out.AccessToken), RefreshToken: aws.ToString(out.RefreshToken),
		ExpiresAt: now.Add(time.Duration(out.ExpiresIn) * time.Second), StartURL: b.StartURL, Region: b.Region,
		SignedInAt: signedIn,
	}
	if t.RefreshToken == "" {
		t.SessionEnds = t.ExpiresAt
	}
	return t
}

func (c *Client) failed(name string, err error) {
	c.mu.Lock()
	c.errs[name] = err.Error()
	c.mu.Unlock()
	c.log.Warn("IAM Identity Center", "sso", name, "err", err)
}

// registered is hopd's registration for the block, from the store; a
// NeedsSignInError when there is none (a sign-in registers).
func (c *Client) registered(name string, b config.SSO) (*registration, error) {
	data, err := c.opts.Store.SSO(name, partClient)
	if isNotFound(err) {
		return nil, &NeedsSignInError{Name: name}
	}
	if err != nil {
		return nil, err
	}
	var reg registration
	if json.Unmarshal(data, &reg) != nil || reg.ClientID == "" || !sameStartURL(reg.StartURL, b.StartURL) || reg.Region != b.Region || !c.opts.Now().Before(reg.ExpiresAt) {
		return nil, &NeedsSignInError{Name: name}
	}
	return &reg, nil
}

// register registers hopd with sso-oidc for the block, or reuses the
// registration kept from before while it lasts.
func (c *Client) register(ctx context.Context, name string, b config.SSO) (*registration, error) {
	if reg, err := c.registered(name, b); err == nil && c.opts.Now().Add(time.Hour).Before(reg.ExpiresAt) {
		return reg, nil
	} else if err != nil && !isNeedsSignIn(err) {
		return nil, err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	out, err := c.oidc(b).RegisterClient(ctx, &ssooidc.RegisterClientInput{
		ClientName:   aws.String("hopd"),
		ClientType:   aws.String("public"),
		GrantTypes:   []string{"authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"},
		Scopes:       []string{"sso:account:access"},
		IssuerUrl:    aws.String(b.StartURL),
		RedirectUris: []string{"http://127.0.0.1/oauth/callback"},
	})
	if err != nil {
		return nil, fmt.Errorf("registering hopd with IAM Identity Center in %s failed: check start_url and region of [[sso]] %s (%s)", b.Region, name, short(err))
	}
	reg := &registration{
		ClientID: aws.ToString(out.ClientId), ClientSecret: aws.ToString(out.ClientSecret),
		ExpiresAt: time.Unix(out.ClientSecretExpiresAt, 0), StartURL: b.StartURL, Region: b.Region,
		AuthorizeURL: aws.ToString(out.AuthorizationEndpoint),
	}
	data, _ := json.Marshal(reg)
	if err := c.opts.Store.SetSSO(name, partClient, data); err != nil {
		return nil, fmt.Errorf("keeping hopd's IAM Identity Center registration in the keychain: %w", err)
	}
	return reg, nil
}

// awsError is a sentence about an AWS error that still matches it with
// errors.As, without the request ids and URLs of its own text.
type awsError struct {
	msg string
	err error
}

func (e *awsError) Error() string { return e.msg }
func (e *awsError) Unwrap() error { return e.err }

// short is an AWS error without its request id and the like: the service's
// own words. AWS errors never carry the tokens sent.
func short(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ", api error "); i >= 0 {
		return s[i+len(", api error "):]
	}
	return s
}
