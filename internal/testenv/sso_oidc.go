package testenv

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The OIDC half of the SSO stand-in: the sso-oidc operations RegisterClient,
// StartDeviceAuthorization and CreateToken (rest-json, unsigned), and the
// browser's /authorize, which signs the user in at once.

const (
	grantAuthCode = "authorization_code"
	grantDevice   = "urn:ietf:params:oauth:grant-type:device_code"
	grantRefresh  = "refresh_token"

	// scopeAccess is the scope that makes Identity Center issue refresh
	// tokens; registrations without scopes get the legacy, non-refreshable
	// tokens.
	scopeAccess = "sso:account:access"

	authCodeTTL   = 5 * time.Minute
	deviceCodeTTL = 10 * time.Minute
	clientTTL     = 90 * 24 * time.Hour
)

type oidcClient struct {
	id, secret   string
	grantTypes   []string // empty: device code (and refresh, if scoped)
	redirectURIs []string
	scopes       []string
	expires      time.Time
}

// allows reports whether the registration permits grant.
func (c *oidcClient) allows(grant string) bool {
	if len(c.grantTypes) == 0 {
		return grant == grantDevice || (grant == grantRefresh && c.refreshable())
	}
	return slices.Contains(c.grantTypes, grant)
}

func (c *oidcClient) refreshable() bool {
	return slices.Contains(c.scopes, scopeAccess) && (len(c.grantTypes) == 0 || slices.Contains(c.grantTypes, grantRefresh))
}

type authCode struct {
	client, redirectURI, challenge string
	expires                        time.Time
	used                           bool
}

type deviceGrant struct {
	client, userCode string
	expires          time.Time
	polls            int
	approved, used   bool
}

// ssoToken is an access or refresh token of one sign-in session.
type ssoToken struct {
	client  string
	session int
	expires time.Time // zero for refresh tokens: they last the session
}

// oidcError writes an sso-oidc error: type in the header and __type, and
// the OAuth error code and description in the body.
func oidcError(w http.ResponseWriter, status int, typ, code, desc string) {
	awsError(w, status, typ, map[string]any{"error": code, "error_description": desc})
}

// decodeBody reads a JSON request body into v, answering the client with
// InvalidRequestException when it cannot.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		oidcError(w, 400, "InvalidRequestException", "invalid_request", "The request body is not valid JSON.")
		return false
	}
	return true
}

// clientLocked returns the registered client id authenticated by secret,
// or writes InvalidClientException; the caller holds s.mu.
func (s *SSO) clientLocked(w http.ResponseWriter, id, secret string) *oidcClient {
	c := s.clients[id]
	if c == nil || subtle.ConstantTimeCompare([]byte(c.secret), []byte(secret)) != 1 {
		oidcError(w, 401, "InvalidClientException", "invalid_client", "Invalid client id or secret.")
		return nil
	}
	if !time.Now().Before(c.expires) {
		oidcError(w, 401, "InvalidClientException", "invalid_client", "The client registration has expired.")
		return nil
	}
	return c
}

func sameStartURL(a, b string) bool {
	trim := func(s string) string { return strings.TrimRight(s, "/#") }
	return trim(a) == trim(b)
}

func (s *SSO) registerClient(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ClientName   string   `json:"clientName"`
		ClientType   string   `json:"clientType"`
		Scopes       []string `json:"scopes"`
		GrantTypes   []string `json:"grantTypes"`
		RedirectURIs []string `json:"redirectUris"`
		IssuerURL    string   `json:"issuerUrl"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.countLocked("RegisterClient") {
		oidcError(w, 429, "TooManyRequestsException", "slow_down", "Rate exceeded.")
		return
	}
	bad := func(desc string) {
		oidcError(w, 400, "InvalidClientMetadataException", "invalid_client_metadata", desc)
	}
	switch {
	case in.ClientName == "":
		bad("clientName is required.")
		return
	case in.ClientType != "public":
		bad("clientType must be public.")
		return
	}
	for _, g := range in.GrantTypes {
		if g != grantAuthCode && g != grantDevice && g != grantRefresh {
			bad("Unsupported grant type " + g + ".")
			return
		}
	}
	if slices.Contains(in.GrantTypes, grantAuthCode) {
		if len(in.RedirectURIs) == 0 || in.IssuerURL == "" {
			oidcError(w, 400, "InvalidRequestException", "invalid_request", "The authorization_code grant needs redirectUris and issuerUrl.")
			return
		}
	}
	for _, u := range in.RedirectURIs {
		if p, err := url.Parse(u); err != nil || p.Scheme == "" || p.Host == "" {
			oidcError(w, 400, "InvalidRedirectUriException", "invalid_redirect_uri", "A redirect URI is not an absolute URL.")
			return
		}
	}
	if in.IssuerURL != "" && !sameStartURL(in.IssuerURL, s.StartURL) {
		oidcError(w, 400, "InvalidRequestException", "invalid_request", "issuerUrl is not this Identity Center's start URL.")
		return
	}
	now := time.Now()
	c := &oidcClient{
		id:           secret("client-"),
		secret:       secret("secret-"),
		grantTypes:   in.GrantTypes,
		redirectURIs: in.RedirectURIs,
		scopes:       in.Scopes,
		expires:      now.Add(clientTTL),
	}
	s.clients[c.id] = c
	out := map[string]any{
		"clientId":              c.id,
		"clientSecret":          c.secret,
		"clientIdIssuedAt":      now.Unix(),
		"clientSecretExpiresAt": c.expires.Unix(),
	}
	if slices.Contains(in.GrantTypes, grantAuthCode) {
		out["authorizationEndpoint"] = s.URL + "/authorize"
		out["tokenEndpoint"] = s.URL + "/token"
	}
	writeJSON(w, 200, out)
}

// redirectMatches reports whether got may be used where registered was
// registered. Loopback URIs match on any port (RFC 8252 section 7.3),
// since a native client's listener port changes every time.
func redirectMatches(registered, got string) bool {
	a, err1 := url.Parse(registered)
	b, err2 := url.Parse(got)
	if err1 != nil || err2 != nil || a.Scheme != b.Scheme || a.Hostname() != b.Hostname() {
		return false
	}
	loopback := a.Hostname() == "127.0.0.1" || a.Hostname() == "::1" || a.Hostname() == "localhost"
	if !loopback && a.Port() != b.Port() {
		return false
	}
	return strings.TrimSuffix(a.Path, "/") == strings.TrimSuffix(b.Path, "/")
}

// authorize is where the browser goes. The user signs in at once: a 302
// back to redirect_uri with code and state, or error=access_denied under
// SetDenySignIn. A bad client or redirect URI gets a page instead, as
// OAuth requires (the redirect URI cannot be trusted).
func (s *SSO) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.countLocked("Authorize") {
		http.Error(w, "Rate exceeded.", http.StatusTooManyRequests)
		return
	}
	c := s.clients[q.Get("client_id")]
	if c == nil || !time.Now().Before(c.expires) {
		http.Error(w, "Unknown or expired client_id.", http.StatusBadRequest)
		return
	}
	redirect := q.Get("redirect_uri")
	if !slices.ContainsFunc(c.redirectURIs, func(reg string) bool { return redirectMatches(reg, redirect) }) {
		http.Error(w, "redirect_uri is not one the client registered.", http.StatusBadRequest)
		return
	}
	back := func(v url.Values) {
		u, _ := url.Parse(redirect)
		uq := u.Query()
		for k, vs := range v {
			uq[k] = vs
		}
		if st := q.Get("state"); st != "" {
			uq.Set("state", st)
		}
		u.RawQuery = uq.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	switch {
	case q.Get("response_type") != "code":
		back(url.Values{"error": {"unsupported_response_type"}})
	case !c.allows(grantAuthCode):
		back(url.Values{"error": {"unauthorized_client"}})
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		back(url.Values{"error": {"invalid_request"}, "error_description": {"PKCE with code_challenge_method=S256 is required."}})
	case s.deny:
		back(url.Values{"error": {"access_denied"}})
	default:
		code := secret("code-")
		s.codes[code] = &authCode{client: c.id, redirectURI: redirect, challenge: q.Get("code_challenge"), expires: time.Now().Add(authCodeTTL)}
		back(url.Values{"code": {code}})
	}
}

func (s *SSO) startDeviceAuthorization(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
		StartURL     string `json:"startUrl"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.countLocked("StartDeviceAuthorization") {
		oidcError(w, 429, "TooManyRequestsException", "slow_down", "Rate exceeded.")
		return
	}
	c := s.clientLocked(w, in.ClientID, in.ClientSecret)
	if c == nil {
		return
	}
	if !sameStartURL(in.StartURL, s.StartURL) {
		oidcError(w, 400, "InvalidRequestException", "invalid_request", "startUrl is not this Identity Center's start URL.")
		return
	}
	code := secret("device-")
	user := userCode()
	s.devices[code] = &deviceGrant{client: c.id, userCode: user, expires: time.Now().Add(deviceCodeTTL)}
	writeJSON(w, 200, map[string]any{
		"deviceCode":              code,
		"userCode":                user,
		"verificationUri":         s.URL + "/device",
		"verificationUriComplete": s.URL + "/device?user_code=" + url.QueryEscape(user),
		"expiresIn":               int(deviceCodeTTL / time.Second),
		"interval":                s.interval,
	})
}

// userCode returns a code like "BDFH-JKLM", from letters that are hard to
// misread.
func userCode() string {
	const letters = "BCDFGHJKLMNPQRSTVWXZ"
	b := []byte(secret(""))
	out := make([]byte, 0, 9)
	for i := range 8 {
		if i == 4 {
			out = append(out, '-')
		}
		out = append(out, letters[int(b[i])%len(letters)])
	}
	return string(out)
}

// verifyDevice is the verification page: visiting it with a pending
// user_code approves that grant, as the user clicking "Allow" would.
func (s *SSO) verifyDevice(w http.ResponseWriter, r *http.Request) {
	code := r.URL.Query().Get("user_code")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.devices {
		if g.userCode == code && code != "" && !g.used && time.Now().Before(g.expires) {
			if s.deny {
				http.Error(w, "Request denied.", http.StatusForbidden)
				return
			}
			g.approved = true
			fmt.Fprintln(w, "Request approved. You can close this window.")
			return
		}
	}
	http.Error(w, "No pending request has this code.", http.StatusNotFound)
}

// ApproveDevice approves every pending device grant and returns how many
// it approved.
func (s *SSO) ApproveDevice() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, g := range s.devices {
		if !g.used && !g.approved && time.Now().Before(g.expires) {
			g.approved = true
			n++
		}
	}
	return n
}

// ExpireDeviceCodes makes every device grant so far expired: polls get
// ExpiredTokenException.
func (s *SSO) ExpireDeviceCodes() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.devices {
		g.expires = time.Now()
	}
}

func (s *SSO) createToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
		GrantType    string `json:"grantType"`
		Code         string `json:"code"`
		DeviceCode   string `json:"deviceCode"`
		RefreshToken string `json:"refreshToken"`
		RedirectURI  string `json:"redirectUri"`
		CodeVerifier string `json:"codeVerifier"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t1 := s.countLocked("CreateToken")
	t2 := s.countLocked("CreateToken:" + in.GrantType[strings.LastIndexAny(in.GrantType, ":")+1:])
	if t1 || t2 {
		oidcError(w, 429, "TooManyRequestsException", "slow_down", "Rate exceeded.")
		return
	}
	c := s.clientLocked(w, in.ClientID, in.ClientSecret)
	if c == nil {
		return
	}
	if in.GrantType != grantAuthCode && in.GrantType != grantDevice && in.GrantType != grantRefresh {
		oidcError(w, 400, "UnsupportedGrantTypeException", "unsupported_grant_type", "Unsupported grant type.")
		return
	}
	if !c.allows(in.GrantType) {
		oidcError(w, 400, "UnauthorizedClientException", "unauthorized_client", "The client is not registered for this grant type.")
		return
	}
	invalid := func(desc string) { oidcError(w, 400, "InvalidGrantException", "invalid_grant", desc) }
	now := time.Now()
	switch in.GrantType {
	case grantAuthCode:
		ac := s.codes[in.Code]
		switch {
		case ac == nil || ac.client != c.id:
			invalid("Invalid authorization code.")
		case ac.used:
			invalid("The authorization code was already used.")
		case !now.Before(ac.expires):
			invalid("The authorization code has expired.")
		case ac.redirectURI != in.RedirectURI:
			ac.used = true
			invalid("redirectUri does not match the authorization request.")
		case !pkceS256Matches(ac.challenge, in.CodeVerifier):
			ac.used = true
			invalid("The code verifier does not match the code challenge.")
		default:
			ac.used = true
			s.issueLocked(w, c, 0, "")
		}
	case grantDevice:
		g := s.devices[in.DeviceCode]
		switch {
		case g == nil || g.client != c.id || g.used:
			invalid("Invalid device code.")
		case !now.Before(g.expires):
			oidcError(w, 400, "ExpiredTokenException", "expired_token", "The device code has expired.")
		case s.deny:
			oidcError(w, 400, "AccessDeniedException", "access_denied", "The user denied the request.")
		case s.slowDown > 0:
			s.slowDown--
			oidcError(w, 400, "SlowDownException", "slow_down", "Client is polling too fast.")
		default:
			g.polls++
			if s.autoApprove > 0 && g.polls >= s.autoApprove {
				g.approved = true
			}
			if !g.approved {
				oidcError(w, 400, "AuthorizationPendingException", "authorization_pending", "The user has not yet approved the request.")
				return
			}
			g.used = true
			s.issueLocked(w, c, 0, "")
		}
	case grantRefresh:
		rt := s.refresh[in.RefreshToken]
		switch {
		case rt == nil || rt.client != c.id:
			invalid("Invalid refresh token.")
		case !s.liveLocked(rt.session):
			invalid("The sign-in session has ended; sign in again.")
		default:
			old := in.RefreshToken
			if s.rotate {
				delete(s.refresh, old)
				old = ""
			}
			s.issueLocked(w, c, rt.session, old)
		}
	}
}

// pkceS256Matches reports whether verifier hashes to challenge under
// PKCE's S256: base64url(sha256(verifier)), without padding.
func pkceS256Matches(challenge, verifier string) bool {
	if verifier == "" {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(strings.TrimRight(challenge, "="))) == 1
}

// liveLocked reports whether sign-in session id is still on.
func (s *SSO) liveLocked(session int) bool {
	return session > s.endedUpTo && !s.loggedOut[session]
}

// issueLocked answers CreateToken with a new access token of session (0:
// a new sign-in), and a refresh token if the client may refresh: keep
// when given, else a new one.
func (s *SSO) issueLocked(w http.ResponseWriter, c *oidcClient, session int, keep string) {
	if session == 0 {
		s.sessions++
		session = s.sessions
	}
	access := secret("aoa")
	s.access[access] = &ssoToken{client: c.id, session: session, expires: time.Now().Add(s.accessTTL)}
	out := map[string]any{
		"accessToken": access,
		"tokenType":   "Bearer",
		"expiresIn":   int(s.accessTTL / time.Second),
	}
	if c.refreshable() {
		if keep == "" {
			keep = secret("aor")
			s.refresh[keep] = &ssoToken{client: c.id, session: session}
		}
		out["refreshToken"] = keep
	}
	writeJSON(w, 200, out)
}
