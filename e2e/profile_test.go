package e2e_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/testenv"
)

// profileDaemon runs a hopd whose user takes its base credentials from the
// AWS profile "base" of awsConfig (in the daemon's ~/.aws/config), with no
// keys in the keychain, and hops into every account with AssumeRole.
func profileDaemon(t *testing.T, awsConfig string, env ...string) *daemon {
	t.Helper()
	d := newDaemon(t, options{env: env, accounts: threeAccounts[:2]})
	awsDir := filepath.Join(d.Home, ".aws")
	if err := os.MkdirAll(awsDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(awsDir, "config"), []byte(awsConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(d.config(d.accounts), "[user]\n", "[user]\nprofile = \"base\"\n", 1)
	d.WriteConfig(cfg)
	d.start()
	return d
}

// whoamiThrough runs the Go SDK client with hopd env's lines for acct.
func whoamiThrough(t *testing.T, d *daemon, acct string) string {
	t.Helper()
	env := append(append(d.env(), envList(d.exports(acct))...), "AWS_EC2_METADATA_DISABLED=true", goClientEnv+"=1")
	exe, _ := os.Executable()
	r := runCmd(t, env, "", exe)
	if r.code != 0 {
		t.Fatalf("the Go SDK client for %s exited %d: %s", acct, r.code, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

func TestProfileSourceCredentialProcess(t *testing.T) {
	script := filepath.Join(t.TempDir(), "base-creds")
	body := fmt.Sprintf("#!/bin/sh\necho '{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"%s\"}'\n", iamKeyID, iamSecret)
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	d := profileDaemon(t, "[profile base]\ncredential_process = "+script+"\nregion = us-east-1\n")
	for _, a := range d.accounts {
		d.waitECS(a.Name)
		if got, want := whoamiThrough(t, d, a.Name), d.assumedRoleARN(a); got != want {
			t.Errorf("%s: GetCallerIdentity says %q, want %q", a.Name, got, want)
		}
	}
	if st := d.mustRun("status"); !strings.Contains(st, "(AWS profile base): ok") {
		t.Errorf("hopd status does not show the user's profile as its source:\n%s", st)
	}
	r := d.runStdin(iamKeyID+"\n"+iamSecret+"\n", "keys", "set", d.user)
	if r.code == 0 || !strings.Contains(r.stderr, "AWS profile base") || !oneLine(r.stderr) {
		t.Errorf("hopd keys set for a profile user: exit %d, %q; want a one-line refusal naming the profile", r.code, r.stderr)
	}
	if out := d.run("doctor").stdout; !strings.Contains(out, "the AWS profile base of user") || !strings.Contains(out, "gives credentials") {
		t.Errorf("hopd doctor does not check the profile:\n%s", out)
	}
}

// TestProfileSourceLogin is the source AWS now recommends for people: a
// login_session profile that `aws login` wrote, whose credentials the SDK
// refreshes from AWS Sign-In (the stand-in) itself.
func TestProfileSourceLogin(t *testing.T) {
	m := startMoto(t)
	s := testenv.StartSignin(t, m.URL, "arn:aws:sts::111111111111:assumed-role/Admin/alice")
	cache := t.TempDir()
	s.WriteLoginCache(t, cache, time.Now().Add(-time.Minute)) // expired: the SDK must refresh it
	d := profileDaemon(t, "[profile base]\nlogin_session = "+s.Principal+"\nregion = us-east-1\n",
		"AWS_ENDPOINT_URL_SIGNIN="+s.URL, "AWS_LOGIN_CACHE_DIRECTORY="+cache)
	for _, a := range d.accounts {
		d.waitECS(a.Name)
		if got, want := whoamiThrough(t, d, a.Name), d.assumedRoleARN(a); got != want {
			t.Errorf("%s: GetCallerIdentity says %q, want %q", a.Name, got, want)
		}
	}
	if s.Count("CreateOAuth2Token:refresh_token") < 1 {
		t.Errorf("the expired login session was not refreshed at the Sign-In stand-in (counts: %d)", s.Count("CreateOAuth2Token:refresh_token"))
	}

	// A login session that cannot be refreshed: doctor says what to run.
	d.WriteConfig(strings.Replace(d.config(d.accounts), "[user]\n", "[user]\nprofile = \"gone\"\n", 1))
	if out := d.run("doctor").stdout; !strings.Contains(out, "FAIL") || !strings.Contains(out, "[profile gone]") {
		t.Errorf("hopd doctor with a profile that does not exist:\n%s", out)
	}
}
