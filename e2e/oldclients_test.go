package e2e_test

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/hopd/hopd/internal/testenv"
)

// Debian 12's AWS CLI (2.9) and rclone (1.60) predate
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE. hopd exec gives each run a token
// of its own in AWS_CONTAINER_AUTHORIZATION_TOKEN too: both reach the
// right account, the token reads that account only, and it is dead once
// the command exits (issue 12).
func TestExecWorksForClientsOlderThanTheTokenFile(t *testing.T) {
	t.Parallel()
	const debianAWS = "/usr/bin/aws"
	if _, err := os.Stat(debianAWS); err != nil {
		testenv.Missing(t, "Debian's AWS CLI 2.9 (apt-get install awscli)", err)
	}
	rclone, err := exec.LookPath("rclone")
	if err != nil {
		testenv.Missing(t, "rclone (apt-get install rclone)", err)
	}
	d := startDaemon(t, options{})
	d.waitECS("production")
	env := append(d.env(), "HOME="+d.Home)

	// The AWS CLI 2.9: the ARN is that of production's role.
	r := runCmd(t, env, "", d.Bin, "exec", "production", "--", debianAWS, "--endpoint-url", d.moto.URL, "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
	if want := d.assumedRoleARN(d.accounts[0]); r.code != 0 || strings.TrimSpace(r.stdout) != want {
		t.Errorf("hopd exec production -- aws (2.9) sts get-caller-identity: exit %d, %q %q; want %s", r.code, r.stdout, r.stderr, want)
	}

	// rclone: a bucket made through production is production's alone.
	s3 := []string{"--s3-provider", "Other", "--s3-env-auth", "--s3-endpoint", d.moto.URL, "--s3-region", "us-east-1", "--s3-force-path-style", "--retries", "1", "--low-level-retries", "1"}
	rc := func(acct string, args ...string) result {
		return runCmd(t, env, "", d.Bin, append([]string{"exec", acct, "--", rclone}, append(args, s3...)...)...)
	}
	if r := rc("production", "mkdir", ":s3:hopd-old-clients-prod"); r.code != 0 {
		t.Fatalf("hopd exec production -- rclone mkdir: exit %d: %s", r.code, r.stderr)
	}
	if r := rc("production", "lsd", ":s3:"); r.code != 0 || !strings.Contains(r.stdout, "hopd-old-clients-prod") {
		t.Errorf("hopd exec production -- rclone lsd: exit %d, %q %q; want the bucket", r.code, r.stdout, r.stderr)
	}
	if r := rc("staging", "lsd", ":s3:"); r.code != 0 || strings.Contains(r.stdout, "hopd-old-clients-prod") {
		t.Errorf("hopd exec staging -- rclone lsd: exit %d, %q %q; want staging's own (no production bucket)", r.code, r.stdout, r.stderr)
	}

	// The run's token: in both variables, the file holding the same one.
	r = runCmd(t, env, "", d.Bin, "exec", "production", "--", "sh", "-c", `printf '%s\n%s\n' "$AWS_CONTAINER_AUTHORIZATION_TOKEN" "$(cat "$AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")"`)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 2 || lines[0] == "" || lines[0] != lines[1] || lines[0] == d.Token() {
		t.Fatalf("hopd exec production -- sh: exit %d, %d lines; want the run's own token in the variable and the file", r.code, len(lines))
	}
	if got := d.ecsWith("production", lines[0]); got.status != http.StatusUnauthorized {
		t.Errorf("the run's token after the command exited: %s; want 401", got.shown())
	}
	if entries, _ := os.ReadDir(d.State); hasPrefix(entries, ".exec-token-") {
		t.Error("the run's token file is still in the state directory after it exited")
	}

	// hopd env --scoped: production only, and nothing of the control API.
	ex := d.exports("production", "--scoped")
	tok := ex["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
	if tok == "" || tok == d.Token() || ex["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] != "" {
		t.Fatalf("hopd env production --scoped: want a token of its own and no token file, got %v", keysOf(ex))
	}
	if got := d.ecsWith("production", tok); got.status != http.StatusOK {
		t.Errorf("a scoped token for production, at production: %s", got.shown())
	}
	if got := d.ecsWith("staging", tok); got.status != http.StatusForbidden {
		t.Errorf("a scoped token for production, at staging: %s; want 403", got.shown())
	}
	req := newRequest(t, "GET", "http://"+d.Listen+"/v1/status", map[string]string{"Authorization": tok})
	if got := do(t, http.DefaultClient, req); got.status != http.StatusForbidden {
		t.Errorf("a scoped token at the control API: %s; want 403", got.shown())
	}
	if r := d.run("env", "production", "--scoped", "--ttl", "1000h"); r.code == 0 || !strings.Contains(r.stderr, "168h") {
		t.Errorf("hopd env --scoped --ttl 1000h: exit %d, %q; want a refusal naming the limit", r.code, r.stderr)
	}
}

func (d *daemon) ecsWith(acct, token string) response {
	d.t.Helper()
	req := newRequest(d.t, "GET", d.ecsURL(acct), map[string]string{"Authorization": token})
	return do(d.t, http.DefaultClient, req)
}

func hasPrefix(entries []os.DirEntry, prefix string) bool {
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			return true
		}
	}
	return false
}

func keysOf(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
