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
	"path/filepath"
	"strings"
	"time"

	"github.com/hopd/hopd/internal/broker"
	"github.com/hopd/hopd/internal/server"
)

// ErrNotRunning is returned when no daemon answers.
var ErrNotRunning = errors.New("hopd is not running: start it with `hopd serve` (or `hopd autostart enable` to start it at login)")

// Daemon is what a running daemon writes to <state>/daemon.json so that
// other commands can find it without parsing the config.
type Daemon struct {
	PID    int    `json:"pid"`
	Listen string `json:"listen"`
}

// DaemonFile is where the running daemon says where it listens.
func DaemonFile(stateDir string) string { return filepath.Join(stateDir, "daemon.json") }

// TokenFile is where the daemon keeps the token for the ECS endpoint and the
// control API.
func TokenFile(stateDir string) string { return filepath.Join(stateDir, "token") }

// Client calls one daemon's control API.
type Client struct {
	StateDir string
	Listen   string // host:port
	token    string
	http     *http.Client
}

// New finds the daemon through the state directory.
func New(stateDir string) (*Client, error) {
	data, err := os.ReadFile(DaemonFile(stateDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotRunning
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", DaemonFile(stateDir), err)
	}
	var d Daemon
	if err := json.Unmarshal(data, &d); err != nil || d.Listen == "" {
		return nil, fmt.Errorf("%s is damaged: restart hopd to rewrite it", DaemonFile(stateDir))
	}
	tok, err := os.ReadFile(TokenFile(stateDir))
	if err != nil {
		return nil, fmt.Errorf("reading the token: %w (is this the user who runs hopd?)", err)
	}
	return &Client{
		StateDir: stateDir,
		Listen:   d.Listen,
		token:    strings.TrimSpace(string(tok)),
		http:     &http.Client{Timeout: 30 * time.Second},
	}, nil
}

// BaseURL is the daemon's loopback URL.
func (c *Client) BaseURL() string { return "http://" + c.Listen }

// APIError is an error answer from the daemon.
type APIError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *APIError) Error() string { return e.Message }

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
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
	req.Header.Set("Authorization", c.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
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
		ae := &APIError{Status: resp.StatusCode}
		if json.Unmarshal(data, ae) != nil || ae.Message == "" {
			ae.Message = fmt.Sprintf("hopd answered %s", resp.Status)
		}
		return ae
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("hopd's answer is not what this hopd expects (%v): is the daemon a different version? restart it", err)
		}
	}
	return nil
}

// Status is the daemon's GET /v1/status answer.
type Status struct {
	Daemon server.DaemonInfo `json:"daemon"`
	Broker broker.Status     `json:"broker"`
}

// Status asks the daemon for its state.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	err := c.do(ctx, http.MethodGet, "/v1/status", nil, &st)
	return st, err
}

// Accounts lists the accounts the daemon knows.
func (c *Client) Accounts(ctx context.Context) ([]broker.AccountStatus, error) {
	var as []broker.AccountStatus
	err := c.do(ctx, http.MethodGet, "/v1/accounts", nil, &as)
	return as, err
}

// Account finds one account by name.
func (c *Client) Account(ctx context.Context, name string) (broker.AccountStatus, error) {
	as, err := c.Accounts(ctx)
	if err != nil {
		return broker.AccountStatus{}, err
	}
	names := make([]string, 0, len(as))
	for _, a := range as {
		if a.Name == name {
			return a, nil
		}
		names = append(names, a.Name)
	}
	return broker.AccountStatus{}, fmt.Errorf("no account named %q: hopd knows %s", name, strings.Join(names, ", "))
}

// SubmitMFA hands the daemon an MFA code for a user ("" for the only one).
func (c *Client) SubmitMFA(ctx context.Context, user, code string) error {
	return c.do(ctx, http.MethodPost, "/v1/mfa", map[string]string{"user": user, "code": code}, nil)
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
func (c *Client) ConsoleLink(ctx context.Context, account, region string) (server.ConsoleLink, error) {
	path := "/v1/console/" + url.PathEscape(account)
	if region != "" {
		path += "?region=" + url.QueryEscape(region)
	}
	var l server.ConsoleLink
	err := c.do(ctx, http.MethodGet, path, nil, &l)
	return l, err
}

// DashboardLink asks the daemon for a one-time link that opens its browser
// page. The link lets one browser in: do not share it.
func (c *Client) DashboardLink(ctx context.Context) (string, error) {
	var l struct {
		URL string `json:"url"`
	}
	err := c.do(ctx, http.MethodPost, "/v1/dashboard-link", nil, &l)
	return l.URL, err
}

// ECSCreds is the body of the ECS credentials endpoint.
type ECSCreds struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	Expiration      string `json:"Expiration"`
	AccountID       string `json:"AccountId"`
}

// Credentials fetches an account's credentials from the ECS endpoint.
func (c *Client) Credentials(ctx context.Context, account string) (ECSCreds, error) {
	var cr ECSCreds
	err := c.do(ctx, http.MethodGet, "/creds/"+account, nil, &cr)
	return cr, err
}
