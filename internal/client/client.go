// Package client talks to a running hopd through its loopback control API.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/filetrust"
	"github.com/hopd/hopd/internal/peercred"
)

// ErrNotRunning is returned when no daemon answers.
var ErrNotRunning = errors.New("not running: start it with `hopd serve` (or `hopd autostart enable` to start it at login)")

// Client calls one daemon's control API.
type Client struct {
	StateDir string
	Listen   string // host:port
	Config   string // the daemon's config file; "" from a daemon older than this field
	token    string
	http     *http.Client
}

// New finds the daemon through the state directory.
func New(stateDir string) (*Client, error) {
	dir := api.StateDir(stateDir)
	if _, err := os.Stat(stateDir); errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotRunning
	}
	if err := filetrust.StateDir(stateDir); err != nil {
		return nil, err
	}
	data, err := filetrust.ReadFile(dir.DaemonFile())
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotRunning
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir.DaemonFile(), err)
	}
	var d api.Daemon
	if err := json.Unmarshal(data, &d); err != nil || d.Listen == "" {
		return nil, fmt.Errorf("%s is damaged: restart hopd to rewrite it", dir.DaemonFile())
	}
	if d.PID > 0 && !alive(d.PID) {
		// A daemon killed before it could clean up. Its port may since be
		// anyone's; the file must not send the next command there.
		if err := os.Remove(dir.DaemonFile()); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s names pid %d, which is gone, and cannot be removed: %w", dir.DaemonFile(), d.PID, err)
		}
		return nil, &StaleError{Path: dir.DaemonFile(), PID: d.PID}
	}
	tok, err := filetrust.ReadFile(dir.TokenFile())
	if err != nil {
		return nil, fmt.Errorf("reading the token: %w (is this the user who runs hopd?)", err)
	}
	return &Client{
		StateDir: stateDir,
		Listen:   d.Listen,
		Config:   d.Config,
		token:    strings.TrimSpace(string(tok)),
		http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			DialContext:         dialOwn,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     30 * time.Second,
		}},
	}, nil
}

// StaleError says daemon.json was left by a daemon that is gone, and was
// removed. It is ErrNotRunning to errors.Is.
type StaleError struct {
	Path string
	PID  int
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("not running: %s named pid %d, which is gone, so hopd removed it; start hopd with `hopd serve`", e.Path, e.PID)
}

func (e *StaleError) Is(target error) bool { return target == ErrNotRunning }

// ImpostorError says the address hopd should listen on is held by a
// program of another user's. Nothing was sent to it.
type ImpostorError struct {
	Addr string
	UID  int
}

func (e *ImpostorError) Error() string {
	return fmt.Sprintf("%s is held by %s, not by you, so it is not your hopd; nothing was sent to it. Stop that program, or choose another listen address in the config, then start hopd",
		e.Addr, peercred.UserName(e.UID))
}

// dialOwn connects only to a socket of this user's: when hopd is down,
// another user may listen on its port to collect the token, MFA codes,
// and to hand out forged credentials. It checks before a byte is sent.
func dialOwn(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	uid, known, err := peercred.PeerUID(c.LocalAddr(), c.RemoteAddr())
	switch {
	case err != nil:
		c.Close()
		return nil, fmt.Errorf("cannot tell whose program listens on %s (%v), so nothing was sent to it", addr, err)
	case known && uid != os.Getuid():
		c.Close()
		return nil, &ImpostorError{Addr: addr, UID: uid}
	}
	return c, nil
}

// BaseURL is the daemon's loopback URL.
func (c *Client) BaseURL() string { return "http://" + c.Listen }

// APIError is an error answer from the daemon.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string { return e.Message }

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	return c.doHeader(ctx, method, path, nil, in, out)
}

func (c *Client) doHeader(ctx context.Context, method, path string, hdr http.Header, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL()+path, body)
	if err != nil {
		return err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", c.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var impostor *ImpostorError
		if errors.As(err, &impostor) {
			return impostor
		}
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "dial" {
			return ErrNotRunning
		}
		return fmt.Errorf("talking to hopd at %s: %w", c.Listen, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("reading hopd's answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		var body api.Error
		if json.Unmarshal(data, &body) != nil || body.Message == "" {
			body.Message = fmt.Sprintf("hopd answered %s", resp.Status)
		}
		return &APIError{Status: resp.StatusCode, Code: body.Code, Message: body.Message}
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("hopd's answer is not what this hopd expects (%v): is the daemon a different version? restart it", err)
		}
	}
	return nil
}

// Status asks the daemon for its state.
func (c *Client) Status(ctx context.Context) (api.Status, error) {
	var st api.Status
	err := c.do(ctx, http.MethodGet, "/v1/status", nil, &st)
	return st, err
}

// Accounts lists the accounts the daemon knows.
func (c *Client) Accounts(ctx context.Context) ([]api.AccountStatus, error) {
	var as []api.AccountStatus
	err := c.do(ctx, http.MethodGet, "/v1/accounts", nil, &as)
	return as, err
}

// Account finds one account by name.
func (c *Client) Account(ctx context.Context, name string) (api.AccountStatus, error) {
	as, err := c.Accounts(ctx)
	if err != nil {
		return api.AccountStatus{}, err
	}
	names := make([]string, 0, len(as))
	for _, a := range as {
		if a.Name == name {
			return a, nil
		}
		names = append(names, a.Name)
	}
	return api.AccountStatus{}, fmt.Errorf("no account named %q: hopd knows %s", name, strings.Join(names, ", "))
}

// SubmitMFA hands the daemon an MFA code for a user ("" for the only one).
func (c *Client) SubmitMFA(ctx context.Context, user, code string) error {
	return c.do(ctx, http.MethodPost, "/v1/mfa", api.MFARequest{User: user, Code: code}, nil)
}

// KeysRemoved tells the daemon that a user's keys were deleted from the
// keychain, so that it drops the session it holds for that user.
func (c *Client) KeysRemoved(ctx context.Context, user string) error {
	return c.do(ctx, http.MethodPost, "/v1/keys/removed", api.KeysRemovedRequest{User: user}, nil)
}

// Reload asks the daemon to re-read its config file.
func (c *Client) Reload(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/reload", nil, nil)
}

// Discover asks the daemon to list the organization's accounts now.
func (c *Client) Discover(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/discover", nil, nil)
}

// ConsoleLink asks the daemon for a console sign-in link for an account
// (or an IAM user with console = true) in region, "" for its own region.
func (c *Client) ConsoleLink(ctx context.Context, req api.ConsoleRequest) (api.ConsoleLink, error) {
	path := "/v1/console/" + url.PathEscape(req.Account)
	q := url.Values{}
	for k, v := range map[string]string{"region": req.Region, "service": req.Service, "path": req.Path, "url": req.URL} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if req.Logout {
		q.Set("logout", "1")
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var l api.ConsoleLink
	err := c.do(ctx, http.MethodGet, path, nil, &l)
	return l, err
}

// DashboardLink asks the daemon for a one-time link that opens its browser
// page. The link lets one browser in: do not share it.
func (c *Client) DashboardLink(ctx context.Context) (string, error) {
	var l api.DashboardLink
	err := c.do(ctx, http.MethodPost, "/v1/dashboard-link", nil, &l)
	return l.URL, err
}

// SSOLogin starts an IAM Identity Center sign-in in the daemon and returns
// the page to open; Status then shows how it goes.
func (c *Client) SSOLogin(ctx context.Context, req api.SSOLoginRequest) (api.SSOLogin, error) {
	var l api.SSOLogin
	err := c.do(ctx, http.MethodPost, "/v1/sso/login", req, &l)
	return l, err
}

// Credentials fetches an account's credentials from the ECS endpoint.
func (c *Client) Credentials(ctx context.Context, account string) (api.ECSCredentials, error) {
	var cr api.ECSCredentials
	err := c.do(ctx, http.MethodGet, "/creds/"+account, nil, &cr)
	return cr, err
}

// CredentialProcess is Credentials for `hopd creds`: it tells the daemon
// that a credential_process asks, for the program that ran it (parent, its
// pid), so that the dashboard can name that program rather than hopd creds,
// gone by the time anyone looks.
func (c *Client) CredentialProcess(ctx context.Context, account string, parent int) (api.ECSCredentials, error) {
	var cr api.ECSCredentials
	hdr := http.Header{api.HeaderVia: {api.ViaCredentialProcess}, api.HeaderParent: {strconv.Itoa(parent)}}
	err := c.doHeader(ctx, http.MethodGet, "/creds/"+account, hdr, nil, &cr)
	return cr, err
}

// ScopedToken asks the daemon for a token that reads only account's
// credentials, for ttl.
func (c *Client) ScopedToken(ctx context.Context, account string, ttl time.Duration) (api.ScopedToken, error) {
	var t api.ScopedToken
	err := c.do(ctx, http.MethodPost, "/v1/tokens", api.ScopedTokenRequest{Account: account, TTL: ttl}, &t)
	return t, err
}

// RevokeToken ends a scoped token at once.
func (c *Client) RevokeToken(ctx context.Context, token string) error {
	return c.do(ctx, http.MethodPost, "/v1/tokens/revoke", api.RevokeTokenRequest{Token: token}, nil)
}

// SigninLink asks the daemon for the console sign-in page of a user, an
// account's user or an [[sso]] ("" for the only one).
func (c *Client) SigninLink(ctx context.Context, name string) (api.SigninLink, error) {
	path := "/v1/signin-link"
	if name != "" {
		path += "?name=" + url.QueryEscape(name)
	}
	var l api.SigninLink
	err := c.do(ctx, http.MethodGet, path, nil, &l)
	return l, err
}
