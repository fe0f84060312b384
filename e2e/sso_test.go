package e2e_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/testenv"
)

// Identity Center users: the accounts and permission sets the stand-in
// gives the signed-in user.
var ssoAccounts = []testenv.SSOAccount{
	{ID: "555555555555", Name: "Staging EU", Roles: []string{"AdministratorAccess", "ReadOnlyAccess"}},
	{ID: "666666666666", Name: "Sandbox", Roles: []string{"PowerUserAccess"}},
	{ID: "777777777777", Name: "Shared Services", Roles: []string{"ReadOnlyAccess"}},
}

// ssoDaemon is a hopd with one [[sso]] "acmeN" at the stand-in and no IAM
// user at all: no long-lived key anywhere. Sandbox gets an IMDS listener
// from an [[account]] that adjusts the listed account.
func ssoDaemon(t *testing.T, env ...string) (*daemon, *testenv.SSO, string) {
	t.Helper()
	// The keyring is the test process's: each daemon's [[sso]] has a name
	// of its own, as each one's IAM user does.
	name := fmt.Sprintf("acme%d", userSeq.Add(1))
	m := startMoto(t)
	s := testenv.StartSSO(t, m.URL, ssoAccounts)
	s.SetDeviceInterval(1)
	d := newDaemon(t, options{moto: m, env: append([]string{"AWS_ENDPOINT_URL_SSO=" + s.URL, "AWS_ENDPOINT_URL_SSO_OIDC=" + s.URL}, env...)})
	d.ports["sandbox"] = freePort(t)
	d.WriteConfig(fmt.Sprintf(`listen = %q

[[sso]]
name = %q
start_url = %q
region = %q
roles = ["ReadOnlyAccess"]

[[account]]
id = "666666666666"
name = "sandbox"
imds_port = %d
`, d.Listen, name, s.StartURL, s.Region, d.ports["sandbox"]))
	d.start()
	return d, s, name
}

// deviceLogin runs `hopd sso login --no-browser` and approves the code the
// way a person on the device page would, once it is printed.
func deviceLogin(t *testing.T, d *daemon, s *testenv.SSO) string {
	t.Helper()
	s.SetDeviceAutoApprove(1)
	r := d.run("sso", "login", "--no-browser")
	if r.code != 0 {
		t.Fatalf("hopd sso login --no-browser: exit %d: %s", r.code, r.stderr)
	}
	return r.stdout
}

func TestSSODeviceSignInServesEverySDK(t *testing.T) {
	d, s, name := ssoDaemon(t)
	if st := d.mustRun("status"); !strings.Contains(st, "sso "+name+": needs-sign-in (run `hopd sso login "+name+"`)") {
		t.Errorf("hopd status before signing in:\n%s", st)
	}
	out := deviceLogin(t, d, s)
	if !strings.Contains(out, "confirm the code ") || !strings.Contains(out, s.URL+"/device") || !strings.Contains(out, "Signed in to "+name) {
		t.Errorf("hopd sso login printed:\n%s", out)
	}
	// The naming contract: <account>-<role> for every role, and <account>
	// alone with the preferred role.
	want := map[string]string{
		"staging-eu": "ReadOnlyAccess", "staging-eu-readonlyaccess": "ReadOnlyAccess",
		"staging-eu-administratoraccess": "AdministratorAccess", "sandbox": "PowerUserAccess",
		"sandbox-poweruseraccess": "PowerUserAccess",
		"shared-services":         "ReadOnlyAccess", "shared-services-readonlyaccess": "ReadOnlyAccess",
	}
	eventually(t, 15*time.Second, func() string {
		have := map[string]string{}
		for _, a := range d.accountsJSON() {
			have[a.Name] = a.Role
		}
		for name, role := range want {
			if have[name] != role {
				return fmt.Sprintf("hopd accounts has %v; want %s with role %s", have, name, role)
			}
		}
		return ""
	})

	if out := d.mustRun("accounts"); !strings.Contains(out, "FROM") || !strings.Contains(out, "sso "+name) {
		t.Errorf("hopd accounts does not say where the accounts come from:\n%s", out)
	}

	// 500 clients at once on a cold account: one GetRoleCredentials.
	s.Reset()
	var wg sync.WaitGroup
	codes := make(chan int, 500)
	for range 500 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", d.ecsURL("staging-eu-administratoraccess"), nil)
			req.Header.Set("Authorization", d.Token())
			resp, err := httpClient.Do(req)
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK && c != http.StatusServiceUnavailable {
			t.Errorf("a client of the burst got %d", c)
			break
		}
	}
	d.waitECS("staging-eu-administratoraccess")
	if n := s.Count("GetRoleCredentials:555555555555/AdministratorAccess"); n != 1 {
		t.Errorf("500 cold requests made %d GetRoleCredentials, want 1", n)
	}

	awsDir := filepath.Join(d.Home, ".aws")
	if err := os.MkdirAll(awsDir, 0o700); err != nil {
		t.Fatal(err)
	}
	profile := fmt.Sprintf("[profile admin]\ncredential_process = %s creds staging-eu-administratoraccess\nregion = us-east-1\n", d.Bin)
	if err := os.WriteFile(filepath.Join(awsDir, "config"), []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	d.waitECS("staging-eu")
	d.waitECS("sandbox")
	ssoModes := []struct {
		name, account, id, role string
		env                     func() []string
	}{
		{"ecs", "staging-eu", "555555555555", "ReadOnlyAccess", func() []string {
			return append(envList(d.exports("staging-eu")), "AWS_EC2_METADATA_DISABLED=true")
		}},
		{"imds", "sandbox", "666666666666", "PowerUserAccess", func() []string { return envList(d.exports("sandbox", "--imds")) }},
		{"process", "staging-eu-administratoraccess", "555555555555", "AdministratorAccess", func() []string {
			return []string{"AWS_PROFILE=admin", "AWS_EC2_METADATA_DISABLED=true"}
		}},
	}
	for _, c := range clients {
		for _, m := range ssoModes {
			t.Run(c.name+"/"+m.name, func(t *testing.T) {
				c.needs(t)
				env := append(d.env(), m.env()...)
				if c.name == "go" {
					env = append(env, goClientEnv+"=1")
				}
				argv := c.command(t)
				r := runCmd(t, env, "", argv[0], argv[1:]...)
				if r.code != 0 {
					t.Fatalf("%s exited %d:\n%s", strings.Join(argv, " "), r.code, r.stderr)
				}
				if got, want := strings.TrimSpace(r.stdout), s.AssumedRoleARN(m.id, m.role); got != want {
					t.Errorf("GetCallerIdentity says %q; want %q", got, want)
				}
			})
		}
	}
}

func TestSSOSessionEndAsksForASignIn(t *testing.T) {
	d, s, name := ssoDaemon(t)
	deviceLogin(t, d, s)
	eventually(t, 15*time.Second, func() string {
		if r := d.ecs("staging-eu"); r.status != http.StatusOK {
			return fmt.Sprintf("staging-eu: %d %s", r.status, r.shown())
		}
		return ""
	})
	// An access token that expired is refreshed, once, without a sign-in.
	s.Reset()
	s.ExpireAccessTokens()
	d.waitECS("shared-services")
	if n := s.Count("CreateToken:refresh_token"); n != 1 {
		t.Errorf("%d refreshes after the access token expired, want 1", n)
	}
	if n := s.Count("CreateToken:device_code") + s.Count("CreateToken:authorization_code"); n != 0 {
		t.Errorf("%d new sign-ins after the access token expired, want none", n)
	}

	s.EndSession()
	s.ExpireAccessTokens()
	// An account not fetched yet needs the portal, which needs a sign-in.
	r := d.ecs("sandbox-poweruseraccess")
	if r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), "sign in to IAM Identity Center: `hopd sso login "+name+"`") {
		t.Fatalf("after the session ended: %d %s; want a 503 naming hopd sso login %s", r.status, r.shown(), name)
	}
	if r.took > 2*time.Second {
		t.Errorf("the 503 took %s; it must be fast", r.took)
	}
	if st := d.mustRun("status"); !strings.Contains(st, "sso "+name+": needs-sign-in") {
		t.Errorf("hopd status after the session ended:\n%s", st)
	}
	deviceLogin(t, d, s)
	d.waitECS("sandbox-poweruseraccess")
}

// TestSSOBrowserSignIn signs in the way most people will: hopd opens the
// authorization page in the browser (here headless Chromium, started by
// the xdg-open that hopd finds on its PATH), Identity Center sends the
// browser back to hopd's loopback callback, and `hopd sso login` returns.
func TestSSOBrowserSignIn(t *testing.T) {
	var chromium string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			chromium = p
			break
		}
	}
	if chromium == "" {
		testenv.Missing(t, "chromium (apt-get install chromium)", exec.ErrNotFound)
	}
	bin := t.TempDir()
	page := filepath.Join(t.TempDir(), "callback.html")
	done := page + ".done"
	// Chromium's profile is not a t.TempDir: its helpers may still write
	// there for a moment after it exits, and that must not fail the test.
	profile, err := os.MkdirTemp("", "hopd-sso-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		testenv.Poll(20*time.Second, func() bool { _, err := os.Stat(done); return err == nil })
		_ = os.RemoveAll(profile)
	})
	script := fmt.Sprintf("#!/bin/sh\n(%q --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir=%q --dump-dom \"$1\" > %q 2>/dev/null; touch %q) &\n",
		chromium, profile, page, done)
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	d, s, name := ssoDaemon(t, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	r := d.run("sso", "login", name)
	if r.code != 0 {
		t.Fatalf("hopd sso login %s: exit %d: %s\n%s", name, r.code, r.stderr, r.stdout)
	}
	if !strings.Contains(r.stdout, "Opened the IAM Identity Center sign-in page for "+name) || !strings.Contains(r.stdout, "Signed in to "+name) {
		t.Errorf("hopd sso login printed:\n%s", r.stdout)
	}
	eventually(t, 10*time.Second, func() string {
		data, _ := os.ReadFile(page)
		if !strings.Contains(string(data), "You can close this tab") {
			return "the browser's page after the callback: " + string(data)
		}
		return ""
	})
	if n := s.Count("CreateToken:authorization_code"); n != 1 {
		t.Errorf("%d authorization-code exchanges, want 1", n)
	}
	eventually(t, 15*time.Second, func() string {
		if r := d.ecs("staging-eu"); r.status != http.StatusOK {
			return fmt.Sprintf("staging-eu: %d %s", r.status, r.shown())
		}
		return ""
	})
}
