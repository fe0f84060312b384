package testenv

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Signin is a stand-in for AWS Sign-In's OAuth endpoints, which `aws login`
// and the SDKs' login_session profiles use and moto lacks: GET
// /v1/authorize, which signs the principal in at once (a 302 back with a
// code), and POST /v1/token (CreateOAuth2Token, unsigned rest-json), whose
// code and refresh grants need a DPoP proof (RFC 9449) and bind the
// refresh token to the proof's key. Point the SDK at it with
// AWS_ENDPOINT_URL_SIGNIN. The credentials it hands out are moto sessions
// of the principal's role, so GetCallerIdentity names the principal.
type Signin struct {
	URL       string
	Principal string // the login_session: arn:aws:sts::<account>:assumed-role/<role>/<session>

	account, roleARN, session string
	moto                      *motoAdmin
	idKey                     *ecdsa.PrivateKey // signs ID tokens

	mu        sync.Mutex
	expiresIn time.Duration
	fail      string // error code every refresh gets, "" for none
	throttle  int
	counts    map[string]int
	codes     map[string]*signinCode
	refresh   map[string]*signinRefresh
	proofs    map[string]bool // DPoP jti values seen
}

// The CLI's fixed client ids: no registration step.
var signinClients = map[string]bool{"arn:aws:signin:::devtools/same-device": true, "arn:aws:signin:::devtools/cross-device": true}

var assumedRoleARN = regexp.MustCompile(`^arn:aws:sts::(\d{12}):assumed-role/([\w+=,.@-]+)/([\w+=,.@-]{2,64})$`)

type signinCode struct {
	client, redirectURI, challenge string
	expires                        time.Time
	used                           bool
}

type signinRefresh struct {
	client  string
	key     string // the DPoP public key the token is bound to, uncompressed
	expires time.Time
}

// StartSignin starts the stand-in for principal, an assumed-role ARN
// (a federated console session, the kind `aws login` most often holds),
// handing out sessions of that role in the moto at motoURL.
func StartSignin(t testing.TB, motoURL, principal string) *Signin {
	t.Helper()
	m := assumedRoleARN.FindStringSubmatch(principal)
	if m == nil {
		t.Fatalf("StartSignin: principal %q is not an assumed-role ARN (arn:aws:sts::<account>:assumed-role/<role>/<session>); IAM users and root are not supported", principal)
	}
	idKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := &Signin{
		Principal: principal,
		account:   m[1], roleARN: "arn:aws:iam::" + m[1] + ":role/" + m[2], session: m[3],
		moto:      newMotoAdmin(motoURL),
		idKey:     idKey,
		expiresIn: 15 * time.Minute,
		counts:    map[string]int{},
		codes:     map[string]*signinCode{},
		refresh:   map[string]*signinRefresh{},
		proofs:    map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/authorize", s.authorize)
	mux.HandleFunc("GET /v1/sessions/confirmation", s.confirmation)
	mux.HandleFunc("POST /v1/token", s.token)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// SetExpiresIn sets the lifetime of the credentials handed out from now
// on (AWS: 15 minutes). Moto's sessions last at least 15 minutes whatever
// is reported.
func (s *Signin) SetExpiresIn(d time.Duration) { s.mu.Lock(); s.expiresIn = d; s.mu.Unlock() }

// FailRefresh makes every refresh grant fail with AccessDeniedException
// and error code: "TOKEN_EXPIRED" (the session ended: sign in again),
// "USER_CREDENTIALS_CHANGED" or "INSUFFICIENT_PERMISSIONS"; "" stops it.
func (s *Signin) FailRefresh(code string) { s.mu.Lock(); s.fail = code; s.mu.Unlock() }

// EndSession ends the sign-in session: every refresh token so far gets
// TOKEN_EXPIRED.
func (s *Signin) EndSession() { s.mu.Lock(); clear(s.refresh); s.mu.Unlock() }

// Throttle answers the next n token calls with 429 TooManyRequestsError.
func (s *Signin) Throttle(n int) { s.mu.Lock(); s.throttle = n; s.mu.Unlock() }

// Count returns how many calls of op were answered: "Authorize",
// "CreateOAuth2Token", "CreateOAuth2Token:authorization_code" or
// "CreateOAuth2Token:refresh_token".
func (s *Signin) Count(op string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.counts[op] }

// signinError writes a Sign-In error: the type in X-Amzn-ErrorType and
// __type, the OAuth2ErrorCode in error.
func signinError(w http.ResponseWriter, status int, typ, code, msg string) {
	awsError(w, status, typ, map[string]any{"error": code, "message": msg})
}

// authorize signs the principal in at once. Sign-In's PKCE method is
// spelled SHA-256, and the only scope is openid.
func (s *Signin) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts["Authorize"]++
	redirect := q.Get("redirect_uri")
	u, err := url.Parse(redirect)
	sameDevice := err == nil && u.Scheme == "http" && u.Hostname() == "127.0.0.1" && u.Path == "/oauth/callback"
	crossDevice := redirect == s.URL+"/v1/sessions/confirmation"
	switch {
	case !signinClients[q.Get("client_id")]:
		http.Error(w, "Unknown client_id.", http.StatusBadRequest)
	case !sameDevice && !crossDevice:
		http.Error(w, "redirect_uri must be http://127.0.0.1:<port>/oauth/callback or this service's /v1/sessions/confirmation.", http.StatusBadRequest)
	case q.Get("response_type") != "code" || q.Get("scope") != "openid" || q.Get("code_challenge_method") != "SHA-256" || q.Get("code_challenge") == "":
		http.Error(w, "Need response_type=code, scope=openid, code_challenge and code_challenge_method=SHA-256.", http.StatusBadRequest)
	default:
		code := secret("")
		s.codes[code] = &signinCode{client: q.Get("client_id"), redirectURI: redirect, challenge: q.Get("code_challenge"), expires: time.Now().Add(5 * time.Minute)}
		v := url.Values{"code": {code}, "state": {q.Get("state")}}
		http.Redirect(w, r, redirect+"?"+v.Encode(), http.StatusFound)
	}
}

// confirmation is the cross-device page: it shows the code the user
// pastes into the CLI, base64 of "state=<s>&code=<c>".
func (s *Signin) confirmation(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := "state=" + q.Get("state") + "&code=" + q.Get("code")
	fmt.Fprintln(w, base64.StdEncoding.EncodeToString([]byte(v)))
}

func (s *Signin) token(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ClientID     string `json:"clientId"`
		GrantType    string `json:"grantType"`
		Code         string `json:"code"`
		CodeVerifier string `json:"codeVerifier"`
		RedirectURI  string `json:"redirectUri"`
		RefreshToken string `json:"refreshToken"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
		signinError(w, 400, "ValidationException", "INVALID_REQUEST", "The request body is not valid JSON.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts["CreateOAuth2Token"]++
	s.counts["CreateOAuth2Token:"+in.GrantType]++
	if s.throttle > 0 {
		s.throttle--
		signinError(w, 429, "TooManyRequestsError", "INVALID_REQUEST", "Rate exceeded.")
		return
	}
	if !signinClients[in.ClientID] {
		signinError(w, 400, "ValidationException", "INVALID_REQUEST", "Unknown clientId.")
		return
	}
	key, err := s.checkProofLocked(r.Header.Get("DPoP"), s.URL+r.URL.Path)
	if err != nil {
		signinError(w, 400, "ValidationException", "INVALID_REQUEST", "Invalid DPoP proof: "+err.Error())
		return
	}
	now := time.Now()
	switch in.GrantType {
	case "authorization_code":
		c := s.codes[in.Code]
		switch {
		case c == nil || c.used || c.client != in.ClientID:
			signinError(w, 400, "ValidationException", "INVALID_REQUEST", "Invalid authorization code.")
			return
		case !now.Before(c.expires):
			signinError(w, 401, "AccessDeniedException", "AUTHCODE_EXPIRED", "The authorization code has expired.")
			return
		}
		c.used = true
		if c.redirectURI != in.RedirectURI || !pkceS256Matches(c.challenge, in.CodeVerifier) {
			signinError(w, 400, "ValidationException", "INVALID_REQUEST", "redirectUri or codeVerifier does not match the authorization request.")
			return
		}
		s.issueLocked(r.Context(), w, in.ClientID, key, true)
	case "refresh_token":
		rt := s.refresh[in.RefreshToken]
		switch {
		case rt == nil || rt.client != in.ClientID || !now.Before(rt.expires):
			signinError(w, 401, "AccessDeniedException", "TOKEN_EXPIRED", "The refresh token has expired; sign in again.")
			return
		case rt.key != key:
			signinError(w, 400, "ValidationException", "INVALID_REQUEST", "The DPoP key is not the one the refresh token is bound to.")
			return
		case s.fail != "":
			status := 403
			if s.fail == "TOKEN_EXPIRED" {
				status = 401
			}
			signinError(w, status, "AccessDeniedException", s.fail, "Refresh refused.")
			return
		}
		// Refresh tokens rotate: the one used is spent.
		delete(s.refresh, in.RefreshToken)
		s.issueLocked(r.Context(), w, in.ClientID, key, false)
	default:
		signinError(w, 400, "ValidationException", "INVALID_REQUEST", "Unsupported grantType.")
	}
}

// issueLocked answers with new moto credentials and a refresh token bound
// to key; the code grant also gets an ID token.
func (s *Signin) issueLocked(ctx context.Context, w http.ResponseWriter, client, key string, withID bool) {
	c, err := s.moto.assumeRole(ctx, s.roleARN, s.session, s.expiresIn)
	if err != nil {
		signinError(w, 500, "InternalServerException", "server_error", err.Error())
		return
	}
	rt := s.newRefreshLocked(client, key)
	out := map[string]any{
		"accessToken":  map[string]string{"accessKeyId": c.AccessKeyID, "secretAccessKey": c.SecretAccessKey, "sessionToken": c.SessionToken},
		"tokenType":    "aws_sigv4",
		"expiresIn":    int(s.expiresIn / time.Second),
		"refreshToken": rt,
	}
	if withID {
		out["idToken"] = s.idToken(client)
	}
	writeJSON(w, 200, out)
}

func (s *Signin) newRefreshLocked(client, key string) string {
	rt := secret("")
	s.refresh[rt] = &signinRefresh{client: client, key: key, expires: time.Now().Add(12 * time.Hour)}
	return rt
}

// idToken returns a signed JWT whose sub is the principal, as Sign-In's
// ID tokens are; clients take login_session from sub.
func (s *Signin) idToken(client string) string {
	now := time.Now().Unix()
	header, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT"})
	claims, _ := json.Marshal(map[string]any{"sub": s.Principal, "session_arn": s.Principal, "aud": client,
		"iss": "https://signin.aws.amazon.com/signin", "iat": now, "exp": now + 900})
	msg := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims)
	sum := sha256.Sum256([]byte(msg))
	r, sig, _ := ecdsa.Sign(rand.Reader, s.idKey, sum[:])
	raw := make([]byte, 64)
	r.FillBytes(raw[:32])
	sig.FillBytes(raw[32:])
	return msg + "." + base64.RawURLEncoding.EncodeToString(raw)
}

// checkProofLocked verifies a DPoP proof for a POST to htu and returns its
// public key, uncompressed: typ dpop+jwt, ES256 over P-256, a raw r||s signature, a
// fresh iat and a jti not seen before.
func (s *Signin) checkProofLocked(proof, htu string) (key string, err error) {
	parts := strings.Split(proof, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("no DPoP header, or not a JWS")
	}
	var header struct {
		Typ, Alg string
		JWK      struct{ Kty, Crv, X, Y string }
	}
	var claims struct {
		Htm, Htu, Jti string
		Iat           int64
	}
	if err := decodeSegment(parts[0], &header); err != nil {
		return "", err
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return "", err
	}
	if header.Typ != "dpop+jwt" || header.Alg != "ES256" || header.JWK.Kty != "EC" || header.JWK.Crv != "P-256" {
		return "", fmt.Errorf("want typ dpop+jwt, alg ES256 and an EC P-256 jwk")
	}
	xb, err1 := base64.RawURLEncoding.DecodeString(header.JWK.X)
	yb, err2 := base64.RawURLEncoding.DecodeString(header.JWK.Y)
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || len(sig) != 64 || len(xb) > 32 || len(yb) > 32 {
		return "", fmt.Errorf("bad jwk coordinates or signature encoding")
	}
	// The Go SDK encodes coordinates without their leading zero bytes
	// (big.Int.Bytes), so short ones are padded back.
	raw := make([]byte, 65)
	raw[0] = 4
	copy(raw[33-len(xb):33], xb)
	copy(raw[65-len(yb):], yb)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	if err != nil {
		return "", fmt.Errorf("the jwk is not a P-256 point")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return "", fmt.Errorf("the signature does not verify")
	}
	if claims.Htm != "POST" || subtle.ConstantTimeCompare([]byte(claims.Htu), []byte(htu)) != 1 {
		return "", fmt.Errorf("htm/htu do not name this request (want POST %s)", htu)
	}
	if d := time.Since(time.Unix(claims.Iat, 0)); d > 5*time.Minute || d < -time.Minute {
		return "", fmt.Errorf("iat is not recent")
	}
	if claims.Jti == "" || s.proofs[claims.Jti] {
		return "", fmt.Errorf("jti is missing or was used before")
	}
	s.proofs[claims.Jti] = true
	return string(raw), nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return fmt.Errorf("a JWS segment is not base64url")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("a JWS segment is not JSON")
	}
	return nil
}

// LoginCachePath returns where the SDKs and the CLI keep principal's
// login cache file in dir: <dir>/<sha256 hex of the login_session>.json.
func LoginCachePath(dir, principal string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(principal)))
	return filepath.Join(dir, hex.EncodeToString(sum[:])+".json")
}

// WriteLoginCache writes into dir (for AWS_LOGIN_CACHE_DIRECTORY) the cache
// file `aws login` would have left for the stand-in's principal, in the
// CLI's format: moto credentials that expire at expiresAt (in the past to
// make the SDK refresh at once), a refresh token bound to a new SEC1 P-256
// DPoP key, and an ID token. It returns the file's path.
func (s *Signin) WriteLoginCache(t testing.TB, dir string, expiresAt time.Time) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.moto.assumeRole(context.Background(), s.roleARN, s.session, 15*time.Minute)
	if err != nil {
		t.Fatalf("WriteLoginCache: %v", err)
	}
	const client = "arn:aws:signin:::devtools/same-device"
	s.mu.Lock()
	pub, err := key.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	rt := s.newRefreshLocked(client, string(pub))
	s.mu.Unlock()
	file := map[string]any{
		"accessToken": map[string]string{
			"accessKeyId": c.AccessKeyID, "secretAccessKey": c.SecretAccessKey, "sessionToken": c.SessionToken,
			"accountId": s.account, "expiresAt": expiresAt.UTC().Format("2006-01-02T15:04:05Z"),
		},
		"tokenType":    "aws_sigv4",
		"clientId":     client,
		"refreshToken": rt,
		"idToken":      s.idToken(client),
		"dpopKey":      string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})),
	}
	b, err := json.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	path := LoginCachePath(dir, s.Principal)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
