package e2e_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/testenv"
)

// checkErrorBody asserts the error format every SDK can read: Content-Type
// exactly application/json (the Go SDK parses error bodies only then) and
// {"code","message"}.
func checkErrorBody(t *testing.T, r response) {
	t.Helper()
	if ct := r.header.Values("Content-Type"); len(ct) != 1 || ct[0] != "application/json" {
		t.Errorf("error answer %d has Content-Type %q; want exactly application/json", r.status, ct)
	}
	var body struct{ Code, Message string }
	if err := json.Unmarshal(r.body, &body); err != nil || body.Code == "" || body.Message == "" {
		t.Errorf("error answer %d has body %q; want JSON with code and message", r.status, r.shown())
	}
}

// Only processes of the same user on this machine get credentials: not web
// pages (DNS rebinding, cross-origin requests), not clients without the
// token, not requests relayed through a proxy.
func TestSecurity(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, options{})
	d.waitECS("production")
	token := d.Token()
	ecs := d.ecsURL("production")
	imds := d.imdsURL("production")
	port := strings.TrimPrefix(d.Listen, "127.0.0.1:")
	imdsToken := func() string {
		r := do(t, httpClient, newRequest(t, "PUT", imds+"/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "60"}))
		if r.status != http.StatusOK {
			t.Fatalf("PUT /latest/api/token: %d %s", r.status, r.shown())
		}
		return string(r.body)
	}
	imdsCredsPath := imds + "/latest/meta-data/iam/security-credentials/" + defaultRole

	tests := []struct {
		name   string
		method string
		url    string
		header map[string]string
		want   int
	}{
		// The positive controls: what SDKs send is served.
		{"ecs with token", "GET", ecs, map[string]string{"Authorization": token}, 200},
		{"ecs with localhost host", "GET", ecs, map[string]string{"Authorization": token, "Host": "localhost:" + port}, 200},
		{"imds token ttl 21600", "PUT", imds + "/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "21600"}, 200},

		{"ecs dns rebinding host", "GET", ecs, map[string]string{"Authorization": token, "Host": "evil.example:" + port}, 403},
		{"ecs host without port", "GET", ecs, map[string]string{"Authorization": token, "Host": "evil.example"}, 403},
		{"ecs origin", "GET", ecs, map[string]string{"Authorization": token, "Origin": "https://evil.example"}, 403},
		{"ecs sec-fetch-site", "GET", ecs, map[string]string{"Authorization": token, "Sec-Fetch-Site": "cross-site"}, 403},
		{"ecs sec-fetch-mode", "GET", ecs, map[string]string{"Authorization": token, "Sec-Fetch-Mode": "cors"}, 403},
		{"ecs without token", "GET", ecs, nil, 401},
		{"ecs wrong token", "GET", ecs, map[string]string{"Authorization": strings.Repeat("x", len(token))}, 403},
		{"control api without token", "GET", "http://" + d.Listen + "/v1/status", nil, 401},
		{"control api from a page", "GET", "http://" + d.Listen + "/v1/status", map[string]string{"Authorization": token, "Origin": "https://evil.example"}, 403},
		{"imds dns rebinding host", "PUT", imds + "/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "60", "Host": "evil.example"}, 403},
		{"imds origin", "PUT", imds + "/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "60", "Origin": "https://evil.example"}, 403},
		{"imds get without token", "GET", imdsCredsPath, nil, 401},
		{"imds get with forged token", "GET", imdsCredsPath, map[string]string{"X-aws-ec2-metadata-token": strings.Repeat("A", 54)}, 401},
		{"imds token put through a proxy", "PUT", imds + "/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "60", "X-Forwarded-For": "203.0.113.7"}, 403},
		{"imds token ttl 0", "PUT", imds + "/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "0"}, 400},
		{"imds token ttl 21601", "PUT", imds + "/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "21601"}, 400},
		{"imds token without ttl", "PUT", imds + "/latest/api/token", nil, 400},
		{"unknown account", "GET", d.ecsURL("nope"), map[string]string{"Authorization": token}, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, httpClient, newRequest(t, tt.method, tt.url, tt.header))
			if r.status != tt.want {
				t.Fatalf("%s %s: %d %s; want %d", tt.method, tt.url, r.status, r.shown(), tt.want)
			}
			if r.status >= 400 {
				checkErrorBody(t, r)
			}
			for k := range r.header {
				if strings.HasPrefix(k, "Access-Control-") {
					t.Errorf("answer carries the CORS header %s; hopd never sends CORS headers", k)
				}
			}
		})
	}

	t.Run("imds token is bound to its listener", func(t *testing.T) {
		tok := imdsToken()
		other := d.imdsURL("staging") + "/latest/meta-data/iam/security-credentials/" + defaultRole
		r := do(t, httpClient, newRequest(t, "GET", other, map[string]string{"X-aws-ec2-metadata-token": tok}))
		if r.status != http.StatusUnauthorized {
			t.Errorf("production's IMDS token on staging's listener: %d; want 401", r.status)
		}
	})

	t.Run("token file is private", func(t *testing.T) {
		fi, err := os.Stat(filepath.Join(d.State, "token"))
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("the token file has mode %v; want 0600", mode)
		}
		if len(token) < 32 {
			t.Errorf("the token has %d characters; want a random token of 32 bytes or more", len(token))
		}
	})
}

// A config that asks hopd to listen beyond loopback is refused at start,
// quickly and in one line.
func TestServeRefusesNonLoopbackListen(t *testing.T) {
	t.Parallel()
	keyEnv := testenv.Keyring(t)
	bin := testenv.BuildHopd(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	content := "listen = \"0.0.0.0:9911\"\n\n[user]\nname = \"michael\"\n\n[[account]]\nname = \"production\"\nid = \"222222222222\"\n"
	if err := os.WriteFile(cfg, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(append(testenv.BaseEnv(), keyEnv...), "HOME="+dir, "HOPD_CONFIG="+cfg, "HOPD_STATE_DIR="+filepath.Join(dir, "state"))

	start := time.Now()
	r := runCmd(t, env, "", bin, "serve", "--no-tray")
	took := time.Since(start)
	if r.code == 0 {
		t.Fatalf("hopd serve with listen = 0.0.0.0:9911 exited 0; want a refusal")
	}
	if took > 5*time.Second {
		t.Errorf("hopd serve took %s to refuse a non-loopback listen address", took)
	}
	if !oneLine(r.stderr) || !strings.Contains(r.stderr, "loopback") {
		t.Errorf("hopd serve said %q; want one line that mentions loopback", r.stderr)
	}
}
