package testenv

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/signin"
	signintypes "github.com/aws/aws-sdk-go-v2/service/signin/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const testPrincipal = "arn:aws:sts::510987654321:assumed-role/Admin/alice"

// loginProfile writes a config with profile dev on login_session, points
// the SDK's login provider at s and dir, and loads the profile.
func loginProfile(t *testing.T, s *Signin, dir string) aws.Config {
	t.Helper()
	cfgPath := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(cfgPath, []byte("[profile dev]\nlogin_session = "+s.Principal+"\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_LOGIN_CACHE_DIRECTORY", dir)
	t.Setenv("AWS_ENDPOINT_URL_SIGNIN", s.URL)
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"} {
		t.Setenv(v, "")
	}
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithSharedConfigFiles([]string{cfgPath}),
		config.WithSharedCredentialsFiles([]string{filepath.Join(t.TempDir(), "none")}),
		config.WithSharedConfigProfile("dev"))
	if err != nil {
		t.Fatalf("loading profile dev: %v", err)
	}
	return cfg
}

func refreshTokenIn(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		RefreshToken string `json:"refreshToken"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("the login cache is not JSON: %v", err)
	}
	return f.RefreshToken
}

// Not parallel: the SDK reads its login settings from the environment.
func TestLoginSessionProfileGetsMotoCredentials(t *testing.T) {
	moto := SharedMoto(t)
	s := StartSignin(t, moto.URL, testPrincipal)
	dir := t.TempDir()
	path := s.WriteLoginCache(t, dir, time.Now().Add(-time.Minute))
	before := refreshTokenIn(t, path)
	cfg := loginProfile(t, s, dir)
	ctx := context.Background()

	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatalf("retrieving the login_session profile's credentials: %v", err)
	}
	if n := s.Count("CreateOAuth2Token:refresh_token"); n != 1 {
		t.Errorf("an expired cache made %d refresh calls; want 1", n)
	}
	if after := refreshTokenIn(t, path); after == before || after == "" {
		t.Error("the SDK did not write the rotated refresh token back to the cache")
	}
	if left := time.Until(creds.Expires); left < 14*time.Minute || left > 16*time.Minute {
		t.Errorf("the refreshed credentials expire in %s; want 15 minutes", left)
	}
	id, err := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(moto.URL) }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with the login credentials: %v", err)
	}
	if aws.ToString(id.Arn) != testPrincipal || aws.ToString(id.Account) != "510987654321" {
		t.Errorf("moto says the login credentials are %s in %s; want %s", aws.ToString(id.Arn), aws.ToString(id.Account), testPrincipal)
	}

	// A fresh cache is used as it is.
	s.WriteLoginCache(t, dir, time.Now().Add(10*time.Minute))
	if _, err := loginProfile(t, s, dir).Credentials.Retrieve(ctx); err != nil {
		t.Fatalf("retrieving from a fresh cache: %v", err)
	}
	if n := s.Count("CreateOAuth2Token"); n != 1 {
		t.Errorf("a fresh cache made the SDK call the token endpoint (%d calls in all; want 1)", n)
	}

	// An ended session is the SDK's "please reauthenticate".
	s.WriteLoginCache(t, dir, time.Now().Add(-time.Minute))
	s.EndSession()
	_, err = loginProfile(t, s, dir).Credentials.Retrieve(ctx)
	if err == nil || !strings.Contains(err.Error(), "login session has expired, please reauthenticate") {
		t.Errorf("retrieving after EndSession: %v; want the SDK's login session has expired", err)
	}
}

// dpopTransport adds a DPoP proof made with key to every request, as a
// login client must.
type dpopTransport struct{ key *ecdsa.PrivateKey }

func (d dpopTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if d.key != nil {
		r = r.Clone(r.Context())
		r.Header.Set("DPoP", dpopProof(d.key, r.URL.String()))
	}
	return http.DefaultTransport.RoundTrip(r)
}

func dpopProof(key *ecdsa.PrivateKey, htu string) string {
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	pub, _ := key.PublicKey.Bytes() // 0x04 || x || y
	x, y := pub[1:33], pub[33:]
	jti := make([]byte, 16)
	rand.Read(jti)
	msg := enc(map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": map[string]string{"kty": "EC", "crv": "P-256",
		"x": base64.RawURLEncoding.EncodeToString(x), "y": base64.RawURLEncoding.EncodeToString(y)}}) +
		"." + enc(map[string]any{"htm": "POST", "htu": htu, "iat": time.Now().Unix(), "jti": fmt.Sprintf("%x", jti)})
	sum := sha256.Sum256([]byte(msg))
	r, s, _ := ecdsa.Sign(rand.Reader, key, sum[:])
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return msg + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func signinClient(s *Signin, key *ecdsa.PrivateKey) *signin.Client {
	return signin.New(signin.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.URL), RetryMaxAttempts: 1,
		HTTPClient: &http.Client{Transport: dpopTransport{key}}})
}

func TestSigninCodeFlowWithDPoP(t *testing.T) {
	t.Parallel()
	moto := SharedMoto(t)
	s := StartSignin(t, moto.URL, testPrincipal)
	ctx := context.Background()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	client := signinClient(s, key)

	const verifier = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-."
	got := make(chan url.Values, 1)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.URL.Query() }))
	defer cb.Close()
	redirect := cb.URL + "/oauth/callback"
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {"arn:aws:signin:::devtools/same-device"}, "state": {"s1"},
		"code_challenge_method": {"SHA-256"}, "scope": {"openid"}, "redirect_uri": {redirect},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}}
	resp, err := http.Get(s.URL + "/v1/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cbq url.Values
	select {
	case cbq = <-got:
	default:
		t.Fatalf("/v1/authorize answered %s and never reached the callback", resp.Status)
	}
	if cbq.Get("state") != "s1" {
		t.Errorf("the callback got state %q; want s1", cbq.Get("state"))
	}
	codeIn := &signin.CreateOAuth2TokenInput{TokenInput: &signintypes.CreateOAuth2TokenRequestBody{
		ClientId: aws.String("arn:aws:signin:::devtools/same-device"), GrantType: aws.String("authorization_code"),
		Code: aws.String(cbq.Get("code")), CodeVerifier: aws.String(verifier), RedirectUri: aws.String(redirect)}}
	if _, err := signinClient(s, nil).CreateOAuth2Token(ctx, codeIn); errorCode(err) != "ValidationException" {
		t.Errorf("the code grant without DPoP: %v; want ValidationException", err)
	}
	// That attempt was refused before the code was looked at; it still works.
	out, err := client.CreateOAuth2Token(ctx, codeIn)
	if err != nil {
		t.Fatalf("the code grant: %v", err)
	}
	tok := out.TokenOutput
	parts := strings.Split(aws.ToString(tok.IdToken), ".")
	var claims struct{ Sub string }
	if b, err := base64.RawURLEncoding.DecodeString(parts[min(1, len(parts)-1)]); err != nil || json.Unmarshal(b, &claims) != nil || claims.Sub != testPrincipal {
		t.Errorf("the ID token's sub is %q; want %s", claims.Sub, testPrincipal)
	}
	if aws.ToInt32(tok.ExpiresIn) != 900 || aws.ToString(tok.TokenType) != "aws_sigv4" {
		t.Errorf("expiresIn %d, tokenType %q; want 900, aws_sigv4", aws.ToInt32(tok.ExpiresIn), aws.ToString(tok.TokenType))
	}
	if _, err := client.CreateOAuth2Token(ctx, codeIn); errorCode(err) != "ValidationException" {
		t.Errorf("replaying the code: %v; want ValidationException", err)
	}

	refreshIn := func(rt *string) *signin.CreateOAuth2TokenInput {
		return &signin.CreateOAuth2TokenInput{TokenInput: &signintypes.CreateOAuth2TokenRequestBody{
			ClientId: aws.String("arn:aws:signin:::devtools/same-device"), GrantType: aws.String("refresh_token"), RefreshToken: rt}}
	}
	if _, err := signinClient(s, other).CreateOAuth2Token(ctx, refreshIn(tok.RefreshToken)); errorCode(err) != "ValidationException" {
		t.Errorf("refreshing with another DPoP key: %v; want ValidationException", err)
	}
	next, err := client.CreateOAuth2Token(ctx, refreshIn(tok.RefreshToken))
	if err != nil {
		t.Fatalf("refreshing with the bound key: %v", err)
	}
	var ad *signintypes.AccessDeniedException
	if _, err := client.CreateOAuth2Token(ctx, refreshIn(tok.RefreshToken)); !errors.As(err, &ad) || ad.Error_ != signintypes.OAuth2ErrorCodeTokenExpired {
		t.Errorf("reusing a rotated refresh token: %v; want AccessDeniedException TOKEN_EXPIRED", err)
	}
	s.FailRefresh("USER_CREDENTIALS_CHANGED")
	if _, err := client.CreateOAuth2Token(ctx, refreshIn(next.TokenOutput.RefreshToken)); !errors.As(err, &ad) || ad.Error_ != signintypes.OAuth2ErrorCodeUserCredentialsChanged {
		t.Errorf("refreshing under FailRefresh(USER_CREDENTIALS_CHANGED): %v", err)
	}
	s.FailRefresh("")
	s.Throttle(1)
	if _, err := client.CreateOAuth2Token(ctx, refreshIn(next.TokenOutput.RefreshToken)); errorCode(err) != "TooManyRequestsError" {
		t.Errorf("refreshing under Throttle(1): %v; want TooManyRequestsError", err)
	}
	if _, err := client.CreateOAuth2Token(ctx, refreshIn(next.TokenOutput.RefreshToken)); err != nil {
		t.Errorf("refreshing after the throttle: %v", err)
	}
}

// The Go SDK writes a jwk coordinate with a leading zero byte as 31
// bytes; the stand-in must take that proof, or one login in 128 would fail.
func TestSigninAcceptsShortJWKCoordinates(t *testing.T) {
	t.Parallel()
	s := StartSignin(t, "http://127.0.0.1:1", testPrincipal)
	var key *ecdsa.PrivateKey
	for key == nil {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if pub, _ := k.PublicKey.Bytes(); pub[1] == 0 {
			key = k
		}
	}
	proof := dpopProof(key, s.URL+"/v1/token")
	parts := strings.Split(proof, ".")
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var h map[string]any
	json.Unmarshal(hb, &h)
	jwk := h["jwk"].(map[string]any)
	x, _ := base64.RawURLEncoding.DecodeString(jwk["x"].(string))
	jwk["x"] = base64.RawURLEncoding.EncodeToString(x[1:])
	hb, _ = json.Marshal(h)
	msg := base64.RawURLEncoding.EncodeToString(hb) + "." + parts[1]
	sum := sha256.Sum256([]byte(msg))
	r, sg, _ := ecdsa.Sign(rand.Reader, key, sum[:])
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	sg.FillBytes(sig[32:])

	s.mu.Lock()
	got, err := s.checkProofLocked(msg+"."+base64.RawURLEncoding.EncodeToString(sig), s.URL+"/v1/token")
	s.mu.Unlock()
	want, _ := key.PublicKey.Bytes()
	if err != nil || got != string(want) {
		t.Errorf("a proof with a 31-byte x: %v; want it accepted as the same key", err)
	}
}
