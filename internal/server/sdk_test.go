package server

import (
	"context"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/hopd/hopd/internal/config"
)

// These tests use the real Go SDK as the client, so they prove that what
// the server sends is what the SDK parses, not what we think it parses.

func TestGoSDKECS(t *testing.T) {
	s := newTestServer(t, newFakeSource())
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	p := endpointcreds.New(ts.URL+"/creds/production", func(o *endpointcreds.Options) { o.AuthorizationToken = testToken })
	c, err := p.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKeyID != "ASIAFIXTURE000000001" || c.SecretAccessKey != secretKey || c.SessionToken != sessTok || c.AccountID != "222222222222" {
		t.Errorf("SDK got %+v", c)
	}
	if !c.CanExpire || !c.Expires.Equal(fixtureExpiry.Truncate(time.Second)) {
		t.Errorf("SDK expiry %v (can expire %v), want %v", c.Expires, c.CanExpire, fixtureExpiry.Truncate(time.Second))
	}

	// The SDK shows our JSON error message only when Content-Type is exactly
	// application/json: this is what a user sees when MFA is needed.
	p = endpointcreds.New(ts.URL+"/creds/locked", func(o *endpointcreds.Options) { o.AuthorizationToken = testToken })
	if _, err := p.Retrieve(ctx); err == nil || !strings.Contains(err.Error(), "hopd mfa") {
		t.Errorf("SDK error for 503 = %v, want our message", err)
	}
	p = endpointcreds.New(ts.URL+"/creds/production", func(o *endpointcreds.Options) { o.AuthorizationToken = "Bearer wrong" })
	if _, err := p.Retrieve(ctx); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("SDK error for 403 = %v, want our message", err)
	}
}

func TestGoSDKIMDS(t *testing.T) {
	s := newTestServer(t, newFakeSource())
	ts := startIMDS(t, s, prodAcct)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	client := imds.New(imds.Options{Endpoint: ts.URL})
	p := ec2rolecreds.New(func(o *ec2rolecreds.Options) { o.Client = client })
	c, err := p.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKeyID != "ASIAFIXTURE000000001" || c.SecretAccessKey != secretKey || c.SessionToken != sessTok {
		t.Errorf("SDK got %+v", c)
	}
	if !c.CanExpire || c.Expires.Before(fixtureExpiry.Truncate(time.Second)) {
		t.Errorf("SDK expiry %v, want at least %v", c.Expires, fixtureExpiry)
	}
	region, err := client.GetRegion(ctx, nil)
	if err != nil || region.Region != "eu-west-1" {
		t.Errorf("GetRegion = %+v, %v", region, err)
	}
	doc, err := client.GetInstanceIdentityDocument(ctx, nil)
	if err != nil || doc.AccountID != "222222222222" || doc.InstanceID != "i-hopd" {
		t.Errorf("identity document = %+v, %v", doc, err)
	}

	// While credentials are unavailable the SDK reports an error at once.
	locked := prodAcct
	locked.Name = "locked"
	ts = startIMDS(t, s, locked)
	_, err = ec2rolecreds.New(func(o *ec2rolecreds.Options) {
		o.Client = imds.New(imds.Options{Endpoint: ts.URL, Retryer: aws.NopRetryer{}})
	}).Retrieve(ctx)
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("SDK error for a locked account = %v, want a 503", err)
	}
}

// startIMDS serves acct's IMDS handler on a real listener whose port the
// handler knows, as Apply does.
func startIMDS(t *testing.T, s *Server, acct config.Account) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	acct.IMDSPort = ts.Listener.Addr().(*net.TCPAddr).Port
	ts.Config.Handler = s.IMDSHandler(acct, acct.IMDSPort)
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}
