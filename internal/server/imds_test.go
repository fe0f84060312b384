package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func imdsToken(t testing.TB, s *Server, h http.Handler, port int) string {
	t.Helper()
	r := request(t, "PUT", "/latest/api/token", port, "")
	r.Header.Set("X-aws-ec2-metadata-token-ttl-seconds", "21600")
	w := serve(t, h, r)
	if w.Code != 200 {
		t.Fatalf("token PUT: status %d; body %s", w.Code, w.Body)
	}
	return w.Body.String()
}

func imdsGet(t testing.TB, h http.Handler, path, token string) *httptest.ResponseRecorder {
	t.Helper()
	r := request(t, "GET", path, imdsPort, "")
	if token != "" {
		r.Header.Set("X-aws-ec2-metadata-token", token)
	}
	return serve(t, h, r)
}

func TestIMDSTokenPUT(t *testing.T) {
	tests := []struct {
		name, method, ttl string
		xff               bool
		status            int
	}{
		{"max", "PUT", "21600", false, 200},
		{"min", "PUT", "1", false, 200},
		{"zero", "PUT", "0", false, 400},
		{"too long", "PUT", "21601", false, 400},
		{"missing", "PUT", "", false, 400},
		{"letters", "PUT", "abc", false, 400},
		{"negative", "PUT", "-5", false, 400},
		{"plus", "PUT", "+5", false, 400},
		{"space", "PUT", " 5x", false, 400},
		{"huge", "PUT", "99999999999999999999", false, 400},
		{"forwarded", "PUT", "60", true, 403},
		{"GET", "GET", "60", false, 405},
	}
	s := newTestServer(t, newFakeSource())
	h := s.IMDSHandler(prodAcct, imdsPort)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(t, tt.method, "/latest/api/token", imdsPort, "")
			if tt.ttl != "" {
				r.Header.Set("X-aws-ec2-metadata-token-ttl-seconds", tt.ttl)
			}
			if tt.xff {
				r.Header.Set("X-Forwarded-For", "10.0.0.1")
			}
			w := serve(t, h, r)
			if tt.status != 200 {
				wantError(t, w, tt.status, "")
				return
			}
			if w.Code != 200 {
				t.Fatalf("status = %d; body %s", w.Code, w.Body)
			}
			if got := w.Header().Get("X-aws-ec2-metadata-token-ttl-seconds"); got != tt.ttl {
				t.Errorf("TTL echo = %q, want %q", got, tt.ttl)
			}
			if ct := w.Header().Get("Content-Type"); ct != "text/plain" {
				t.Errorf("Content-Type = %q", ct)
			}
			if tok := w.Body.String(); len(tok) != imdsTokenLen || strings.ContainsAny(tok, "\n ") {
				t.Errorf("token %q", tok)
			}
		})
	}
}

func TestIMDSTokenAuth(t *testing.T) {
	s := newTestServer(t, newFakeSource())
	h := s.IMDSHandler(prodAcct, imdsPort)
	good := imdsToken(t, s, h, imdsPort)
	forged := []byte(good)
	forged[len(forged)-3] ^= 1
	other := newTestServer(t, newFakeSource())
	tests := []struct {
		name, token string
		status      int
	}{
		{"valid", good, 200},
		{"missing", "", 401},
		{"forged MAC", string(forged), 401},
		{"expired", s.mintIMDSToken(imdsPort, time.Now().Add(-time.Second)), 401},
		{"other port", s.mintIMDSToken(imdsPort+5, time.Now().Add(time.Hour)), 401},
		{"other daemon", other.mintIMDSToken(imdsPort, time.Now().Add(time.Hour)), 401},
		{"garbage", "not a token", 401},
		{"wrong length", good + "A", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := imdsGet(t, h, "/latest/meta-data/iam/security-credentials/", tt.token)
			if tt.status == 200 {
				if w.Code != 200 {
					t.Fatalf("status = %d; body %s", w.Code, w.Body)
				}
				return
			}
			wantError(t, w, tt.status, "unauthorized")
		})
	}
}

func TestIMDSv1(t *testing.T) {
	s := newTestServer(t, newFakeSource())
	h := s.IMDSHandler(v1Acct, imdsPort)
	if w := imdsGet(t, h, "/latest/meta-data/iam/security-credentials/Admin", ""); w.Code != 200 {
		t.Errorf("IMDSv1 GET: status = %d; body %s", w.Code, w.Body)
	}
	wantError(t, imdsGet(t, h, "/latest/meta-data/iam/security-credentials/Admin", "forged"), 401, "unauthorized")
}

func TestIMDSRoutes(t *testing.T) {
	s := newTestServer(t, newFakeSource())
	h := s.IMDSHandler(prodAcct, imdsPort)
	tok := imdsToken(t, s, h, imdsPort)
	role := "/latest/meta-data/iam/security-credentials/"
	tests := []struct {
		path, body string // body "" means: check in the switch below
		status     int
	}{
		{role, "OrganizationAccountAccessRole", 200},
		{strings.TrimSuffix(role, "/"), "OrganizationAccountAccessRole", 200},
		{"//latest/meta-data/iam/security-credentials/", "OrganizationAccountAccessRole", 200},
		{"///latest/meta-data/placement/region", "eu-west-1", 200},
		{"/latest/meta-data/placement/region", "eu-west-1", 200},
		{"/latest/meta-data/placement/availability-zone", "eu-west-1a", 200},
		{"/latest/meta-data/instance-id", "i-hopd", 200},
		{"/latest/meta-data/", "iam/\ninstance-id\nplacement/", 200},
		{role + "OrganizationAccountAccessRole", "", 200},
		{"//latest/meta-data/iam/security-credentials/OrganizationAccountAccessRole", "", 200},
		{"/latest/dynamic/instance-identity/document", "", 200},
		{"/latest/meta-data/iam/info", "", 200},
		{role + "OtherRole", "", 404},
		{"/latest/user-data", "", 404},
		{"/", "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			w := imdsGet(t, h, tt.path, tok)
			if tt.status != 200 {
				wantError(t, w, tt.status, "not_found")
				return
			}
			if w.Code != 200 {
				t.Fatalf("status = %d; body %s", w.Code, w.Body)
			}
			if tt.body != "" {
				if w.Body.String() != tt.body {
					t.Errorf("body = %q, want %q", w.Body, tt.body)
				}
				if ct := w.Header().Get("Content-Type"); ct != "text/plain" {
					t.Errorf("Content-Type = %q", ct)
				}
				return
			}
			var m map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			switch {
			case strings.HasSuffix(tt.path, "OrganizationAccountAccessRole"):
				want := map[string]string{"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "ASIAFIXTURE000000001", "SecretAccessKey": secretKey, "Token": sessTok}
				for k, v := range want {
					if m[k] != v {
						t.Errorf("%s = %v, want %q", k, m[k], v)
					}
				}
				wantRFC3339Z(t, m["Expiration"].(string), fixtureExpiry)
				wantRFC3339Z(t, m["LastUpdated"].(string), time.Time{})
			case strings.HasSuffix(tt.path, "document"):
				for k, v := range map[string]string{"region": "eu-west-1", "availabilityZone": "eu-west-1a", "accountId": "222222222222", "instanceId": "i-hopd"} {
					if m[k] != v {
						t.Errorf("%s = %v, want %q", k, m[k], v)
					}
				}
			case strings.HasSuffix(tt.path, "info"):
				if m["Code"] != "Success" || !strings.HasSuffix(m["InstanceProfileArn"].(string), ":instance-profile/OrganizationAccountAccessRole") {
					t.Errorf("iam/info = %v", m)
				}
			}
		})
	}
}

func TestIMDSBrokerErrors(t *testing.T) {
	s := newTestServer(t, newFakeSource())
	for _, tt := range []struct {
		name   string
		status int
	}{{"locked", 503}, {"nosuch", 404}, {"broken", 500}} {
		acct := prodAcct
		acct.Name = tt.name
		h := s.IMDSHandler(acct, imdsPort)
		w := imdsGet(t, h, "/latest/meta-data/iam/security-credentials/"+acct.Role, imdsToken(t, s, h, imdsPort))
		wantError(t, w, tt.status, "")
	}
}

func TestIMDSMethods(t *testing.T) {
	s := newTestServer(t, newFakeSource())
	h := s.IMDSHandler(v1Acct, imdsPort)
	wantError(t, serve(t, h, request(t, "POST", "/latest/meta-data/placement/region", imdsPort, "x")), 405, "method_not_allowed")
}
