package testenv

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Moto's STS does not check signatures: any well-formed key works.
var fakeCreds = credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "")

func stsClient(endpoint string) *sts.Client {
	return sts.New(sts.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      fakeCreds,
		RetryMaxAttempts: 1, // an outage must show as an error, not as retries
	})
}

func callerIdentity(t *testing.T, endpoint string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := stsClient(endpoint).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err == nil && aws.ToString(out.Account) == "" {
		t.Errorf("GetCallerIdentity through %s named no account", endpoint)
	}
	return err
}

func TestMotoThroughCountingProxy(t *testing.T) {
	t.Parallel()
	m := StartMoto(t)
	p := CountingProxy(t, m.URL)

	if err := callerIdentity(t, p.URL); err != nil {
		t.Fatalf("GetCallerIdentity through the proxy failed: %v", err)
	}
	if n := p.Count("GetCallerIdentity"); n != 1 {
		t.Errorf("Count(GetCallerIdentity) = %d after one call; want 1", n)
	}
	if n := p.Count("AssumeRole"); n != 0 {
		t.Errorf("Count(AssumeRole) = %d with no such call; want 0", n)
	}
	p.Reset()
	if n := p.Count("GetCallerIdentity"); n != 0 {
		t.Errorf("Count(GetCallerIdentity) = %d after Reset; want 0", n)
	}
}

// Organizations speaks the JSON protocol, where the action is in
// X-Amz-Target rather than in the body.
func TestCountingProxyCountsJSONProtocol(t *testing.T) {
	t.Parallel()
	m := StartMoto(t)
	p := CountingProxy(t, m.URL)
	org := organizations.New(organizations.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(p.URL),
		Credentials:  fakeCreds,
	})
	if _, err := org.CreateOrganization(context.Background(), &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatalf("CreateOrganization through the proxy failed: %v", err)
	}
	if n := p.Count("CreateOrganization"); n != 1 {
		t.Errorf("Count(CreateOrganization) = %d after one call; want 1", n)
	}
}

func TestMotoStopAndStart(t *testing.T) {
	t.Parallel()
	m := StartMoto(t)
	m.Stop()
	m.Stop() // idempotent
	if err := callerIdentity(t, m.URL); err == nil {
		t.Fatal("GetCallerIdentity succeeded while moto was stopped")
	}
	m.Start(t)
	if err := callerIdentity(t, m.URL); err != nil {
		t.Fatalf("GetCallerIdentity failed after moto was started again: %v", err)
	}
}

func TestCountingProxyDelay(t *testing.T) {
	t.Parallel()
	m := StartMoto(t)
	p := CountingProxy(t, m.URL)
	const delay = 500 * time.Millisecond
	p.SetDelay(delay)
	start := time.Now()
	if err := callerIdentity(t, p.URL); err != nil {
		t.Fatalf("GetCallerIdentity through the slow proxy failed: %v", err)
	}
	if took := time.Since(start); took < delay {
		t.Errorf("a call through a proxy delayed by %s took only %s", delay, took)
	}
	p.SetDelay(0)
	start = time.Now()
	if err := callerIdentity(t, p.URL); err != nil {
		t.Fatalf("GetCallerIdentity after SetDelay(0) failed: %v", err)
	}
	if took := time.Since(start); took >= delay {
		t.Errorf("a call after SetDelay(0) took %s", took)
	}
}

func TestCountingProxyDown(t *testing.T) {
	t.Parallel()
	m := StartMoto(t)
	p := CountingProxy(t, m.URL)
	p.SetDown(true)
	if err := callerIdentity(t, p.URL); err == nil {
		t.Fatal("GetCallerIdentity succeeded through a proxy that is down")
	}
	if n := p.Count("GetCallerIdentity"); n != 0 {
		t.Errorf("Count(GetCallerIdentity) = %d for a call refused while down; want 0", n)
	}
	p.SetDown(false)
	if err := callerIdentity(t, p.URL); err != nil {
		t.Fatalf("GetCallerIdentity failed after the proxy came back up: %v", err)
	}
}

// The proxy must hand the body on unchanged after reading it, and must not
// rewrite the Host the client signed.
func TestCountingProxyForwardsUnchanged(t *testing.T) {
	t.Parallel()
	type seen struct{ host, body string }
	got := make(chan seen, 1)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		if err := r.ParseForm(); err == nil {
			b.WriteString(r.PostForm.Encode())
		}
		got <- seen{r.Host, b.String()}
	}))
	defer target.Close()
	p := CountingProxy(t, target.URL)

	form := url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}}
	resp, err := http.Post(p.URL, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s := <-got
	if s.body != form.Encode() {
		t.Errorf("target received body %q; want %q", s.body, form.Encode())
	}
	if want := strings.TrimPrefix(p.URL, "http://"); s.host != want {
		t.Errorf("target received Host %q; want the proxy's %q", s.host, want)
	}
	if n := p.Count("AssumeRole"); n != 1 {
		t.Errorf("Count(AssumeRole) = %d; want 1", n)
	}
}

func TestActionInRPCv2Path(t *testing.T) {
	r := httptest.NewRequest("POST", "/service/GraniteServiceVersion20100801/operation/GetMetricData", nil)
	if a := action(r, nil); a != "GetMetricData" {
		t.Errorf("action = %q; want GetMetricData", a)
	}
}
