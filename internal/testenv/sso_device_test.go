package testenv

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	ssotypes "github.com/aws/aws-sdk-go-v2/service/sso/types"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	oidctypes "github.com/aws/aws-sdk-go-v2/service/ssooidc/types"
)

func registerDevice(t *testing.T, oidc *ssooidc.Client, scopes []string) *ssooidc.RegisterClientOutput {
	t.Helper()
	reg, err := oidc.RegisterClient(context.Background(), &ssooidc.RegisterClientInput{
		ClientName: aws.String("hopd-test"), ClientType: aws.String("public"), Scopes: scopes,
	})
	if err != nil {
		t.Fatalf("RegisterClient: %v", err)
	}
	return reg
}

func TestSSODeviceFlow(t *testing.T) {
	t.Parallel()
	s := StartSSO(t, "http://127.0.0.1:1", testAccounts)
	oidc, portal := ssoClients(s, 1)
	ctx := context.Background()
	reg := registerDevice(t, oidc, []string{"sso:account:access"})

	if _, err := oidc.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{
		ClientId: reg.ClientId, ClientSecret: reg.ClientSecret, StartUrl: aws.String("https://d-other.awsapps.com/start"),
	}); errorCode(err) != "InvalidRequestException" {
		t.Errorf("StartDeviceAuthorization with another start URL: %v; want InvalidRequestException", err)
	}
	dev, err := oidc.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{
		ClientId: reg.ClientId, ClientSecret: reg.ClientSecret, StartUrl: aws.String(s.StartURL),
	})
	if err != nil {
		t.Fatalf("StartDeviceAuthorization: %v", err)
	}
	if dev.Interval != 1 || dev.ExpiresIn != 600 || aws.ToString(dev.UserCode) == "" ||
		!strings.HasSuffix(aws.ToString(dev.VerificationUriComplete), "user_code="+aws.ToString(dev.UserCode)) {
		t.Errorf("StartDeviceAuthorization gave interval %d, expiresIn %d, userCode %q, complete URI %q",
			dev.Interval, dev.ExpiresIn, aws.ToString(dev.UserCode), aws.ToString(dev.VerificationUriComplete))
	}
	poll := func() (*ssooidc.CreateTokenOutput, error) {
		return oidc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
			GrantType: aws.String("urn:ietf:params:oauth:grant-type:device_code"), DeviceCode: dev.DeviceCode})
	}
	var pending *oidctypes.AuthorizationPendingException
	if _, err := poll(); !errors.As(err, &pending) {
		t.Errorf("polling before approval: %v; want AuthorizationPendingException", err)
	}
	s.SlowDown(1)
	var slow *oidctypes.SlowDownException
	if _, err := poll(); !errors.As(err, &slow) {
		t.Errorf("polling after SlowDown(1): %v; want SlowDownException", err)
	}

	// The user opens verificationUriComplete and approves.
	resp, err := http.Get(aws.ToString(dev.VerificationUriComplete))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("the verification page answered %s", resp.Status)
	}
	tok, err := poll()
	if err != nil {
		t.Fatalf("polling after approval: %v", err)
	}
	if aws.ToString(tok.RefreshToken) == "" {
		t.Error("a device grant of a client with scope sso:account:access gave no refresh token")
	}
	if _, err := portal.ListAccounts(ctx, &sso.ListAccountsInput{AccessToken: tok.AccessToken}); err != nil {
		t.Errorf("ListAccounts with the device grant's token: %v", err)
	}
	if _, err := poll(); errorCode(err) != "InvalidGrantException" {
		t.Errorf("polling a used device code: %v; want InvalidGrantException", err)
	}
	if n := s.Count("CreateToken:device_code"); n != 4 {
		t.Errorf("Count(CreateToken:device_code) = %d after 4 polls; want 4", n)
	}
}

func TestSSODeviceFlowKnobs(t *testing.T) {
	t.Parallel()
	s := StartSSO(t, "http://127.0.0.1:1", testAccounts)
	oidc, _ := ssoClients(s, 1)
	ctx := context.Background()
	legacy := registerDevice(t, oidc, nil)
	start := func() *ssooidc.StartDeviceAuthorizationOutput {
		dev, err := oidc.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{
			ClientId: legacy.ClientId, ClientSecret: legacy.ClientSecret, StartUrl: aws.String(s.StartURL)})
		if err != nil {
			t.Fatalf("StartDeviceAuthorization: %v", err)
		}
		return dev
	}
	poll := func(dev *ssooidc.StartDeviceAuthorizationOutput) (*ssooidc.CreateTokenOutput, error) {
		return oidc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: legacy.ClientId, ClientSecret: legacy.ClientSecret,
			GrantType: aws.String("urn:ietf:params:oauth:grant-type:device_code"), DeviceCode: dev.DeviceCode})
	}

	s.SetDeviceAutoApprove(2)
	dev := start()
	if _, err := poll(dev); errorCode(err) != "AuthorizationPendingException" {
		t.Errorf("first poll with SetDeviceAutoApprove(2): %v; want AuthorizationPendingException", err)
	}
	tok, err := poll(dev)
	if err != nil {
		t.Fatalf("second poll with SetDeviceAutoApprove(2): %v", err)
	}
	if tok.RefreshToken != nil {
		t.Error("a client registered without scopes got a refresh token; legacy registrations get none")
	}

	s.SetDeviceAutoApprove(0)
	dev = start()
	if n := s.ApproveDevice(); n != 1 {
		t.Errorf("ApproveDevice approved %d grants; want 1", n)
	}
	if _, err := poll(dev); err != nil {
		t.Errorf("polling after ApproveDevice: %v", err)
	}

	dev = start()
	s.ExpireDeviceCodes()
	if _, err := poll(dev); errorCode(err) != "ExpiredTokenException" {
		t.Errorf("polling an expired device code: %v; want ExpiredTokenException", err)
	}

	s.SetDenySignIn(true)
	dev = start()
	if _, err := poll(dev); errorCode(err) != "AccessDeniedException" {
		t.Errorf("polling a denied device grant: %v; want AccessDeniedException", err)
	}
	s.SetDenySignIn(false)

	s.ExpireClientRegistrations()
	if _, err := oidc.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{
		ClientId: legacy.ClientId, ClientSecret: legacy.ClientSecret, StartUrl: aws.String(s.StartURL)}); errorCode(err) != "InvalidClientException" {
		t.Errorf("StartDeviceAuthorization with an expired registration: %v; want InvalidClientException", err)
	}
}

// A big organisation: 500 accounts of 3 roles each, with no IAM role made
// in moto until its credentials are asked for.
func TestSSOBigOrganisationThrottleAndDelay(t *testing.T) {
	t.Parallel()
	moto := SharedMoto(t)
	s := StartSSO(t, moto.URL, SSOAccounts(500, "Admin", "Dev", "ReadOnly"))
	oidc, portal := ssoClients(s, 1)
	ctx := context.Background()
	_, tok := authCodeToken(t, s, oidc)

	n := 0
	pages := sso.NewListAccountsPaginator(portal, &sso.ListAccountsInput{AccessToken: tok.AccessToken}, func(o *sso.ListAccountsPaginatorOptions) { o.Limit = 100 })
	for pages.HasMorePages() {
		p, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListAccounts: %v", err)
		}
		n += len(p.AccountList)
	}
	if n != 500 || s.Count("ListAccounts") != 5 {
		t.Errorf("listing took %d calls for %d accounts; want 5 calls for 500", s.Count("ListAccounts"), n)
	}
	if _, err := portal.ListAccounts(ctx, &sso.ListAccountsInput{AccessToken: tok.AccessToken, NextToken: aws.String("bogus")}); errorCode(err) != "InvalidRequestException" {
		t.Errorf("ListAccounts with a made-up next token: %v; want InvalidRequestException", err)
	}
	if _, err := portal.ListAccounts(ctx, &sso.ListAccountsInput{AccessToken: tok.AccessToken}); err != nil {
		t.Errorf("ListAccounts without max_result: %v", err)
	}

	get := func(c *sso.Client) error {
		_, err := c.GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{AccessToken: tok.AccessToken, AccountId: aws.String("100000000499"), RoleName: aws.String("Dev")})
		return err
	}
	s.Throttle("GetRoleCredentials", 2)
	var tm *ssotypes.TooManyRequestsException
	if err := get(portal); !errors.As(err, &tm) {
		t.Errorf("GetRoleCredentials while throttled: %v; want TooManyRequestsException", err)
	}
	// The SDK's standard retryer retries TooManyRequestsException.
	_, retrying := ssoClients(s, 3)
	if err := get(retrying); err != nil {
		t.Errorf("GetRoleCredentials with retries after one more throttle: %v", err)
	}
	if n := s.Count("GetRoleCredentials:100000000499/Dev"); n != 3 {
		t.Errorf("Count(GetRoleCredentials:100000000499/Dev) = %d; want 3 (2 throttled, 1 served)", n)
	}

	const delay = 300 * time.Millisecond
	s.SetDelay(delay)
	began := time.Now()
	if err := get(portal); err != nil {
		t.Errorf("GetRoleCredentials with a delay: %v", err)
	}
	if took := time.Since(began); took < delay {
		t.Errorf("a call with SetDelay(%s) took %s", delay, took)
	}
}
