// Package api holds what hopd's processes share on the wire and on disk: the control API's bodies and the state directory's layout.
//
// The daemon (internal/server), the CLI's client and the doctor all import
// it, so it imports nothing of hopd's own: a client that only talks to a
// daemon must not pull in the broker or the server. The states of users and
// accounts live here too (states.go), since they are part of the wire; the
// broker produces them.
package api

import "time"

// Status is the answer to GET /v1/status.
type Status struct {
	Daemon DaemonInfo   `json:"daemon"`
	Broker BrokerStatus `json:"broker"`
}

// DaemonInfo describes the running daemon for GET /v1/status.
type DaemonInfo struct {
	Version     string    `json:"version"`
	PID         int       `json:"pid"`
	Listen      string    `json:"listen"`
	ConfigPath  string    `json:"config_path"`
	ConfigError string    `json:"config_error,omitempty"`
	StateDir    string    `json:"state_dir"`
	Started     time.Time `json:"started"`
	// Discovery is the state of account discovery; nil when it is off.
	Discovery *DiscoveryInfo `json:"discovery,omitempty"`
	// SSO is the state of each [[sso]] (IAM Identity Center), in config order.
	SSO []SSOInfo `json:"sso,omitempty"`
	// Goroutines is runtime.NumGoroutine(), for leak checks (the fault
	// tests) and bug reports.
	Goroutines int `json:"goroutines,omitempty"`
}

// DiscoveryInfo says how account discovery from AWS Organizations is doing.
type DiscoveryInfo struct {
	Accounts    int       `json:"accounts"`
	LastRefresh time.Time `json:"last_refresh,omitzero"`
	LastError   string    `json:"last_error,omitempty"` // why the last listing failed; the last list stays
	NextRefresh time.Time `json:"next_refresh,omitzero"`
}

// BrokerStatus is the broker's state: every user's session and every
// account's credentials. The lists are [] rather than null when empty,
// which scripts reading `hopd accounts --json` handle more easily.
type BrokerStatus struct {
	Users    []UserStatus    `json:"users"`
	Accounts []AccountStatus `json:"accounts"`
}

// UserStatus is the state of one IAM user's session.
type UserStatus struct {
	Name           string    `json:"name"`
	Profile        string    `json:"profile,omitempty"` // the AWS profile its credentials come from; "" for keys in the keychain
	State          UserState `json:"state"`
	SessionExpires time.Time `json:"session_expires,omitzero"`
	MFA            bool      `json:"mfa"`
	LastError      string    `json:"last_error,omitempty"`
}

// AccountStatus is the state of one account's role credentials; GET
// /v1/accounts answers a list of them.
type AccountStatus struct {
	Name      string       `json:"name"`
	ID        string       `json:"id"`
	Role      string       `json:"role"`
	Region    string       `json:"region"`
	Color     string       `json:"color"`
	User      string       `json:"user"`
	SSO       string       `json:"sso,omitempty"` // the [[sso]] it is listed from; then User is ""
	IMDSPort  int          `json:"imds_port,omitempty"`
	IMDSTaken bool         `json:"imds_taken,omitempty"` // another program holds IMDSPort; hopd keeps trying to bind it
	State     AccountState `json:"state"`
	Expires   time.Time    `json:"expires,omitzero"`
	LastUsed  time.Time    `json:"last_used,omitzero"`
	LastError string       `json:"last_error,omitempty"`
	Refreshes int          `json:"refreshes"`
}

// MFARequest is the body of POST /v1/mfa. User "" means the user waiting
// for a code, else the first one.
type MFARequest struct {
	User string `json:"user"`
	Code string `json:"code"`
}

// SigninLink is the answer to GET /v1/signin-link: the page where a person
// signs in to the console as themselves.
type SigninLink struct {
	URL  string `json:"url"`
	Name string `json:"name"` // the [user] or [[sso]] it is for
	// Alias is the account alias in URL, "" when the URL has the account id
	// (no alias, or the user may not call iam:ListAccountAliases).
	Alias string `json:"alias,omitempty"`
}

// ConsoleRequest is what GET /v1/console/<account> asks for, in its
// query: where to land (at most one of Service, Path and URL; none is the
// console home) and how.
type ConsoleRequest struct {
	Account string
	Region  string // region=: a region or a shorthand like "euw1"; "" for the account's
	Service string // service=: a console service or alias, like "s3" or "ddb"
	Path    string // path=: a path under the console, like "ec2/home#Instances:"
	URL     string // url=: any console URL, opened in this account
	Logout  bool   // logout=1: sign the browser out of its console session first
}

// ConsoleLink is the answer to GET /v1/console/<account>. URL is the
// console sign-in URL: it carries a sign-in token good for 15 minutes, and
// no credentials. Open is a one-time loopback link to it, for the browser:
// the URL itself must never be put on a command line, where every local
// user can read it.
type ConsoleLink struct {
	URL     string    `json:"url"`
	Open    string    `json:"open,omitempty"`
	Browser string    `json:"browser,omitempty"` // the browser command template, "" for the default browser
	Ends    time.Time `json:"ends,omitzero"`     // when the console session ends, when hopd knows
}

// DashboardLink is the answer to POST /v1/dashboard-link: a one-time URL
// that opens the browser page.
type DashboardLink struct {
	URL string `json:"url"`
}

// Error is the body of every error answer, on /v1/ and /creds/ alike.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ECSCredentials is the body of the ECS credentials endpoint
// GET /creds/<account>, in the field names the AWS SDKs read.
type ECSCredentials struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	Expiration      string `json:"Expiration"`
	AccountID       string `json:"AccountId"`
}

// SSOInfo says how one [[sso]] (IAM Identity Center) is doing, for
// GET /v1/status.
type SSOInfo struct {
	Name     string   `json:"name"`
	StartURL string   `json:"start_url"`
	Region   string   `json:"region"`
	State    SSOState `json:"state"`
	// Expires is when the sign-in ends and `hopd sso login` is needed
	// again, as far as hopd can tell (zero when it cannot).
	Expires     time.Time `json:"expires,omitzero"`
	Accounts    int       `json:"accounts"` // accounts listed
	Roles       int       `json:"roles"`    // account x role pairs listed
	LastRefresh time.Time `json:"last_refresh,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	Login       *SSOLogin `json:"login,omitempty"` // the sign-in under way
}

// SSOLoginRequest is the body of POST /v1/sso/login. An empty name means
// the only (or first) [[sso]].
type SSOLoginRequest struct {
	Name      string `json:"name"`
	NoBrowser bool   `json:"no_browser"`
}

// SSOLogin is a sign-in under way, the answer to POST /v1/sso/login: the
// page the person opens (the authorization page, or the device page with
// its code), and whether hopd opened it in the browser itself. It holds no
// token; the verifier and the code stay in the daemon.
type SSOLogin struct {
	Name     string    `json:"name"`
	URL      string    `json:"url"`
	UserCode string    `json:"user_code,omitempty"` // device flow: the code the page asks for
	Opened   bool      `json:"opened"`
	Expires  time.Time `json:"expires,omitzero"` // when this sign-in gives up
}

// KeysRemovedRequest is the body of POST /v1/keys/removed, which `hopd keys
// rm` sends after deleting a user's keys from the keychain.
type KeysRemovedRequest struct {
	User string `json:"user"`
}

// ScopedTokenRequest is the body of POST /v1/tokens: a token that reads
// one account's credentials over the ECS endpoint, and nothing else, for
// TTL (at most MaxScopedTTL).
type ScopedTokenRequest struct {
	Account string        `json:"account"`
	TTL     time.Duration `json:"ttl"`
}

// ScopedToken is the answer to POST /v1/tokens.
type ScopedToken struct {
	Token   string    `json:"token"`
	Account string    `json:"account"`
	Expires time.Time `json:"expires"`
}

// RevokeTokenRequest is the body of POST /v1/tokens/revoke.
type RevokeTokenRequest struct {
	Token string `json:"token"`
}

// MaxScopedTTL bounds a scoped token's life: a token leaked from a
// child's environment must not outlive a working week.
const MaxScopedTTL = 7 * 24 * time.Hour

// What `hopd creds` adds to its request for credentials, so that the
// dashboard names the program that ran it. They carry no authority: the
// request is the token's like any other.
const (
	HeaderVia            = "X-Hopd-Via"    // what asks: ViaCredentialProcess, or absent for an SDK
	HeaderParent         = "X-Hopd-Parent" // the pid of the program that ran hopd creds
	ViaCredentialProcess = "credential_process"
)
