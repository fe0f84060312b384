// Package console signs in to the AWS web console through the federation endpoint and opens it in a browser.
package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// EnvSigninURL names the variable that overrides the federation endpoint,
// before the config's signin_url: tests and demos point it at a local one.
const EnvSigninURL = "HOPD_SIGNIN_URL"

// Credentials are temporary credentials to sign in with: a role's, or a
// federated user's from GetFederationToken.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// Signer makes console sign-in URLs.
type Signer struct {
	// Endpoint is the federation endpoint; empty means the partition's own.
	Endpoint string
	// SessionDuration, when set, is how long the console session lasts
	// (15 minutes to 12 hours). Only for credentials that are not role
	// chained, such as IAM Identity Center's; zero leaves it to AWS.
	SessionDuration time.Duration
	// Issuer is named on AWS's page when the console session ends.
	Issuer string // default "hopd"
	// HTTP calls the endpoint; default a client with a 15 s timeout.
	HTTP *http.Client
}

// Endpoint picks the federation endpoint: $HOPD_SIGNIN_URL, else the
// config's signin_url, else "" for the partition's.
func Endpoint(configured string) string {
	if v := os.Getenv(EnvSigninURL); v != "" {
		return v
	}
	return configured
}

// LoginURL trades credentials for a sign-in token (getSigninToken) and
// returns the Action=login URL that opens destination (a console URL, see
// Destination), or the console home of region when it is "". The URL
// holds the token, which lets anyone who has it into the console for 15
// minutes, and no credentials.
func (s Signer) LoginURL(ctx context.Context, c Credentials, region, destination string) (string, error) {
	if destination == "" {
		destination = ConsoleHome(region)
	}
	endpoint, err := s.endpoint(region)
	if err != nil {
		return "", err
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" {
		return "", errors.New("console sign-in needs temporary credentials with a session token; hopd got none")
	}
	session, _ := json.Marshal(struct {
		ID    string `json:"sessionId"`
		Key   string `json:"sessionKey"`
		Token string `json:"sessionToken"`
	}{c.AccessKeyID, c.SecretAccessKey, c.SessionToken})
	// No SessionDuration: the federation endpoint refuses it for role-chained
	// credentials (a role assumed from a GetSessionToken session), which is
	// what hopd holds. The console session then lasts as long as they do.
	q := url.Values{"Action": {"getSigninToken"}, "Session": {string(session)}}
	if s.SessionDuration > 0 {
		d := min(max(s.SessionDuration, 15*time.Minute), 12*time.Hour)
		q.Set("SessionDuration", strconv.Itoa(int(d/time.Second)))
	}
	token, err := s.signinToken(ctx, endpoint, q)
	if err != nil {
		return "", err
	}
	issuer := s.Issuer
	if issuer == "" {
		issuer = "hopd"
	}
	return endpoint.String() + "?Action=login&Issuer=" + url.QueryEscape(issuer) +
		"&Destination=" + url.QueryEscape(destination) +
		"&SigninToken=" + url.QueryEscape(token), nil
}

func (s Signer) endpoint(region string) (*url.URL, error) {
	raw := s.Endpoint
	if raw == "" {
		raw = PartitionOf(region).Signin
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("the sign-in endpoint %q is not an http(s) URL without a query: fix signin_url in the config or $%s", raw, EnvSigninURL)
	}
	return u, nil
}

// signinToken calls getSigninToken. Its errors never hold the request URL,
// whose query carries the credentials.
func (s Signer) signinToken(ctx context.Context, endpoint *url.URL, q url.Values) (string, error) {
	client := s.HTTP
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	u := *endpoint
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("building the sign-in request for %s failed", endpoint)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL, credentials and all
		}
		return "", fmt.Errorf("cannot reach the AWS sign-in endpoint %s: check the network (or signin_url): %w", endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("reading the answer of the sign-in endpoint %s: %w", endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("the AWS sign-in endpoint %s refused the credentials (%s): the role may not be allowed to use the console, or the credentials expired; try again", endpoint, resp.Status)
	}
	var out struct{ SigninToken string }
	if err := json.Unmarshal(body, &out); err != nil || out.SigninToken == "" {
		return "", fmt.Errorf("the sign-in endpoint %s answered without a SigninToken: is signin_url a federation endpoint?", endpoint)
	}
	return out.SigninToken, nil
}

// LogoutFirst wraps a login URL so that the browser first signs out of the
// console session it has, then signs in: without multi-session support
// AWS refuses a sign-in while another account's session is open.
func LogoutFirst(loginURL string) (string, error) {
	u, err := url.Parse(loginURL)
	if err != nil || u.Host == "" {
		return "", errors.New("the sign-in URL is malformed; ask hopd for a new one")
	}
	base := u.Scheme + "://" + u.Host
	if strings.HasSuffix(u.Path, "/federation") {
		base += strings.TrimSuffix(u.Path, "/federation")
	}
	return base + "/oauth?Action=logout&redirect_uri=" + url.QueryEscape(loginURL), nil
}
