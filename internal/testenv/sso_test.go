package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	ssotypes "github.com/aws/aws-sdk-go-v2/service/sso/types"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	oidctypes "github.com/aws/aws-sdk-go-v2/service/ssooidc/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithy "github.com/aws/smithy-go"
)

// The tests drive the stand-in with the SDK's own clients, so that what
// they check is the wire format hopd's SDK calls will meet.

func ssoClients(s *SSO, attempts int) (*ssooidc.Client, *sso.Client) {
	return ssooidc.New(ssooidc.Options{Region: s.Region, BaseEndpoint: aws.String(s.URL), RetryMaxAttempts: attempts}),
		sso.New(sso.Options{Region: s.Region, BaseEndpoint: aws.String(s.URL), RetryMaxAttempts: attempts})
}

var testAccounts = []SSOAccount{
	{ID: "210987654321", Name: "production", Email: "prod@example.com", Roles: []string{"AdministratorAccess", "ReadOnly"}},
	{ID: "310987654321", Name: "staging", Email: "staging@example.com", Roles: []string{"ReadOnly"}},
	{ID: "410987654321", Name: "sandbox", Email: "sandbox@example.com", Roles: []string{"PowerUser"}},
}

// registerAuthCode registers a client for the authorization-code flow, as
// the CLI does.
func registerAuthCode(t *testing.T, s *SSO, oidc *ssooidc.Client) *ssooidc.RegisterClientOutput {
	t.Helper()
	reg, err := oidc.RegisterClient(context.Background(), &ssooidc.RegisterClientInput{
		ClientName:   aws.String("hopd-test"),
		ClientType:   aws.String("public"),
		GrantTypes:   []string{"authorization_code", "refresh_token"},
		RedirectUris: []string{"http://127.0.0.1/oauth/callback"},
		IssuerUrl:    aws.String(s.StartURL),
		Scopes:       []string{"sso:account:access"},
	})
	if err != nil {
		t.Fatalf("RegisterClient: %v", err)
	}
	return reg
}

// signInAuthCode runs /authorize through a browser-like client that follows
// the redirect to a loopback listener, and returns the code and the
// redirect URI it used.
func signInAuthCode(t *testing.T, s *SSO, reg *ssooidc.RegisterClientOutput, verifier string) (code, redirect string) {
	t.Helper()
	got := make(chan url.Values, 1)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/callback" {
			got <- r.URL.Query()
		}
	}))
	defer cb.Close()
	redirect = cb.URL + "/oauth/callback"
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {aws.ToString(reg.ClientId)},
		"redirect_uri":          {redirect},
		"state":                 {"state-123"},
		"code_challenge_method": {"S256"},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"scopes":                {"sso:account:access"},
	}
	resp, err := http.Get(aws.ToString(reg.AuthorizationEndpoint) + "?" + q.Encode())
	if err != nil {
		t.Fatalf("following /authorize: %v", err)
	}
	resp.Body.Close()
	select {
	case v := <-got:
		if v.Get("state") != "state-123" || v.Get("code") == "" {
			t.Fatalf("the callback got state %q and a code of %d bytes; want state-123 and a code", v.Get("state"), len(v.Get("code")))
		}
		return v.Get("code"), redirect
	default:
		t.Fatalf("/authorize answered %s and never reached the callback", resp.Status)
		return "", ""
	}
}

const testVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-0123456789abcdefghijk"

func authCodeToken(t *testing.T, s *SSO, oidc *ssooidc.Client) (*ssooidc.RegisterClientOutput, *ssooidc.CreateTokenOutput) {
	t.Helper()
	reg := registerAuthCode(t, s, oidc)
	code, redirect := signInAuthCode(t, s, reg, testVerifier)
	tok, err := oidc.CreateToken(context.Background(), &ssooidc.CreateTokenInput{
		ClientId: reg.ClientId, ClientSecret: reg.ClientSecret, GrantType: aws.String("authorization_code"),
		Code: aws.String(code), RedirectUri: aws.String(redirect), CodeVerifier: aws.String(testVerifier),
	})
	if err != nil {
		t.Fatalf("CreateToken with the code: %v", err)
	}
	return reg, tok
}

func TestSSOAuthCodeFlowGivesMotoCredentials(t *testing.T) {
	t.Parallel()
	moto := SharedMoto(t)
	s := StartSSO(t, moto.URL, testAccounts)
	oidc, portal := ssoClients(s, 1)
	ctx := context.Background()

	_, tok := authCodeToken(t, s, oidc)
	if aws.ToString(tok.RefreshToken) == "" || tok.ExpiresIn != 3600 || aws.ToString(tok.TokenType) != "Bearer" {
		t.Errorf("CreateToken gave refresh token %t, expiresIn %d, type %q; want a refresh token, 3600, Bearer",
			aws.ToString(tok.RefreshToken) != "", tok.ExpiresIn, aws.ToString(tok.TokenType))
	}

	var ids []string
	pages := sso.NewListAccountsPaginator(portal, &sso.ListAccountsInput{AccessToken: tok.AccessToken}, func(o *sso.ListAccountsPaginatorOptions) { o.Limit = 2 })
	for pages.HasMorePages() {
		p, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListAccounts: %v", err)
		}
		for _, a := range p.AccountList {
			ids = append(ids, aws.ToString(a.AccountId))
		}
	}
	if want := []string{"210987654321", "310987654321", "410987654321"}; !slices.Equal(ids, want) {
		t.Errorf("ListAccounts in pages of 2 gave %v; want %v", ids, want)
	}
	if n := s.Count("ListAccounts"); n != 2 {
		t.Errorf("3 accounts in pages of 2 took %d ListAccounts calls; want 2", n)
	}

	roles, err := portal.ListAccountRoles(ctx, &sso.ListAccountRolesInput{AccessToken: tok.AccessToken, AccountId: aws.String("210987654321")})
	if err != nil {
		t.Fatalf("ListAccountRoles: %v", err)
	}
	var names []string
	for _, r := range roles.RoleList {
		names = append(names, aws.ToString(r.RoleName))
	}
	if want := []string{"AdministratorAccess", "ReadOnly"}; !slices.Equal(names, want) {
		t.Errorf("ListAccountRoles gave %v; want %v", names, want)
	}

	for _, c := range []struct{ account, role string }{{"210987654321", "AdministratorAccess"}, {"310987654321", "ReadOnly"}} {
		before := time.Now()
		rc, err := portal.GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{AccessToken: tok.AccessToken, AccountId: aws.String(c.account), RoleName: aws.String(c.role)})
		if err != nil {
			t.Fatalf("GetRoleCredentials %s/%s: %v", c.account, c.role, err)
		}
		cr := rc.RoleCredentials
		exp := time.UnixMilli(cr.Expiration)
		if exp.Before(before.Add(59*time.Minute)) || exp.After(time.Now().Add(61*time.Minute)) {
			t.Errorf("GetRoleCredentials expiration (ms) means %s; want an hour from now", exp)
		}
		id, err := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(moto.URL), Credentials: credentials.NewStaticCredentialsProvider(
			aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))}).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("GetCallerIdentity with the role credentials: %v", err)
		}
		if got, want := aws.ToString(id.Arn), s.AssumedRoleARN(c.account, c.role); got != want || aws.ToString(id.Account) != c.account {
			t.Errorf("moto says the credentials are %s in %s; want %s in %s", got, aws.ToString(id.Account), want, c.account)
		}
		if !strings.HasPrefix(aws.ToString(id.UserId), "AROA") {
			t.Errorf("moto's user id %q does not start with AROA: the IAM role was not created", aws.ToString(id.UserId))
		}
		if n := s.Count("GetRoleCredentials:" + c.account + "/" + c.role); n != 1 {
			t.Errorf("Count(GetRoleCredentials:%s/%s) = %d; want 1", c.account, c.role, n)
		}
	}

	_, err = portal.GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{AccessToken: tok.AccessToken, AccountId: aws.String("310987654321"), RoleName: aws.String("AdministratorAccess")})
	if code := errorCode(err); code != "ForbiddenException" {
		t.Errorf("GetRoleCredentials for an unassigned role: %v; want ForbiddenException", err)
	}
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestSSOAuthCodeRefusals(t *testing.T) {
	t.Parallel()
	s := StartSSO(t, "http://127.0.0.1:1", testAccounts) // no moto call is made
	oidc, _ := ssoClients(s, 1)
	ctx := context.Background()
	reg := registerAuthCode(t, s, oidc)

	tests := []struct {
		name    string
		mangle  func(in *ssooidc.CreateTokenInput)
		replay  bool
		wantErr string
	}{
		{"replayed code", nil, true, "InvalidGrantException"},
		{"wrong verifier", func(in *ssooidc.CreateTokenInput) { in.CodeVerifier = aws.String(testVerifier + "x") }, false, "InvalidGrantException"},
		{"no verifier", func(in *ssooidc.CreateTokenInput) { in.CodeVerifier = nil }, false, "InvalidGrantException"},
		{"other redirect uri", func(in *ssooidc.CreateTokenInput) { in.RedirectUri = aws.String("http://127.0.0.1:9/elsewhere") }, false, "InvalidGrantException"},
		{"wrong secret", func(in *ssooidc.CreateTokenInput) { in.ClientSecret = aws.String("nope") }, false, "InvalidClientException"},
		{"unknown grant", func(in *ssooidc.CreateTokenInput) { in.GrantType = aws.String("password") }, false, "UnsupportedGrantTypeException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, redirect := signInAuthCode(t, s, reg, testVerifier)
			in := &ssooidc.CreateTokenInput{
				ClientId: reg.ClientId, ClientSecret: reg.ClientSecret, GrantType: aws.String("authorization_code"),
				Code: aws.String(code), RedirectUri: aws.String(redirect), CodeVerifier: aws.String(testVerifier),
			}
			if tc.replay {
				if _, err := oidc.CreateToken(ctx, in); err != nil {
					t.Fatalf("the first use of the code failed: %v", err)
				}
			}
			if tc.mangle != nil {
				tc.mangle(in)
			}
			_, err := oidc.CreateToken(ctx, in)
			if got := errorCode(err); got != tc.wantErr {
				t.Errorf("CreateToken: %v; want %s", err, tc.wantErr)
			}
		})
	}

	var ig *oidctypes.InvalidGrantException
	code, redirect := signInAuthCode(t, s, reg, testVerifier)
	in := &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret, GrantType: aws.String("authorization_code"),
		Code: aws.String(code), RedirectUri: aws.String(redirect), CodeVerifier: aws.String("wrong")}
	if _, err := oidc.CreateToken(ctx, in); !errors.As(err, &ig) || aws.ToString(ig.Error_) != "invalid_grant" {
		t.Errorf("a wrong verifier gave %v; want a typed InvalidGrantException with error invalid_grant", err)
	}

	// A redirect URI the client did not register gets a page, not a redirect.
	q := url.Values{"response_type": {"code"}, "client_id": {aws.ToString(reg.ClientId)}, "redirect_uri": {"http://evil.example/cb"},
		"code_challenge": {"x"}, "code_challenge_method": {"S256"}}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(s.URL + "/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("/authorize with an unregistered redirect_uri answered %s; want 400", resp.Status)
	}
	// Plain PKCE is refused: the error goes back to the client.
	q.Set("redirect_uri", "http://127.0.0.1:5555/oauth/callback")
	q.Set("code_challenge_method", "plain")
	resp, err = noFollow.Get(s.URL + "/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.Contains(loc, "error=invalid_request") || strings.Contains(loc, "code=") {
		t.Errorf("/authorize with plain PKCE answered %s to %q; want 302 with error=invalid_request and no code", resp.Status, loc)
	}
}

func TestSSOExpiredTokensAndEndedSessions(t *testing.T) {
	t.Parallel()
	s := StartSSO(t, "http://127.0.0.1:1", testAccounts)
	oidc, portal := ssoClients(s, 1)
	ctx := context.Background()
	reg, tok := authCodeToken(t, s, oidc)
	list := func(access *string) error {
		_, err := portal.ListAccounts(ctx, &sso.ListAccountsInput{AccessToken: access})
		return err
	}
	refresh := func(rt *string) (*ssooidc.CreateTokenOutput, error) {
		return oidc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
			GrantType: aws.String("refresh_token"), RefreshToken: rt})
	}
	if err := list(tok.AccessToken); err != nil {
		t.Fatalf("ListAccounts with a new token: %v", err)
	}
	var ue *ssotypes.UnauthorizedException
	if err := list(aws.String("aoa-made-up")); !errors.As(err, &ue) {
		t.Errorf("ListAccounts with a made-up token: %v; want UnauthorizedException", err)
	}
	s.ExpireAccessTokens()
	if err := list(tok.AccessToken); !errors.As(err, &ue) {
		t.Errorf("ListAccounts with an expired token: %v; want UnauthorizedException", err)
	}
	fresh, err := refresh(tok.RefreshToken)
	if err != nil {
		t.Fatalf("refreshing: %v", err)
	}
	if err := list(fresh.AccessToken); err != nil {
		t.Errorf("ListAccounts with the refreshed token: %v", err)
	}
	if n := s.Count("CreateToken:refresh_token"); n != 1 {
		t.Errorf("Count(CreateToken:refresh_token) = %d; want 1", n)
	}

	s.SetRotateRefreshTokens(true)
	rotated, err := refresh(fresh.RefreshToken)
	if err != nil || aws.ToString(rotated.RefreshToken) == aws.ToString(fresh.RefreshToken) {
		t.Fatalf("refreshing with rotation: %v; want a new refresh token", err)
	}
	if _, err := refresh(fresh.RefreshToken); errorCode(err) != "InvalidGrantException" {
		t.Errorf("reusing a rotated refresh token: %v; want InvalidGrantException", err)
	}

	s.EndSession()
	if err := list(rotated.AccessToken); !errors.As(err, &ue) {
		t.Errorf("ListAccounts after EndSession: %v; want UnauthorizedException", err)
	}
	if _, err := refresh(rotated.RefreshToken); errorCode(err) != "InvalidGrantException" {
		t.Errorf("refreshing after EndSession: %v; want InvalidGrantException", err)
	}
	_, again := authCodeToken(t, s, oidc)
	if err := list(again.AccessToken); err != nil {
		t.Errorf("ListAccounts after signing in again: %v", err)
	}
	if _, err := portal.Logout(ctx, &sso.LogoutInput{AccessToken: again.AccessToken}); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if err := list(again.AccessToken); !errors.As(err, &ue) {
		t.Errorf("ListAccounts after Logout: %v; want UnauthorizedException", err)
	}

	s.SetAccessTokenTTL(time.Second)
	_, short := authCodeToken(t, s, oidc)
	if short.ExpiresIn != 1 {
		t.Errorf("expiresIn = %d after SetAccessTokenTTL(1s); want 1", short.ExpiresIn)
	}
	time.Sleep(1100 * time.Millisecond)
	if err := list(short.AccessToken); !errors.As(err, &ue) {
		t.Errorf("ListAccounts with a token past its lifetime: %v; want UnauthorizedException", err)
	}
}
