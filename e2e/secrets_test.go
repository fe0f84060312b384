package e2e_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hopd/hopd/internal/keychain"
)

// After a working day in a daemon's life (credentials served every way,
// requests refused, commands failing) no secret shows up in its log, in
// its state files (other than the token file), in what the CLI prints, or
// in its command line and environment.
func TestSecretsNeverLogged(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, options{serveArgs: []string{"--log-level", "debug"}})

	secrets := map[string]string{
		"the IAM secret access key": iamSecret,
		"the token file":            d.Token(),
	}
	served := func(via string, c ecsCreds) {
		secrets[via+" SecretAccessKey"] = c.SecretAccessKey
		secrets[via+" session token"] = c.Token
	}
	served("ECS production", d.waitECS("production"))
	served("IMDS staging", d.waitIMDS("staging"))
	var pc struct{ SecretAccessKey, SessionToken string }
	if err := json.Unmarshal([]byte(d.mustRun("creds", "playground")), &pc); err != nil {
		t.Fatal(err)
	}
	served("credential_process playground", ecsCreds{SecretAccessKey: pc.SecretAccessKey, Token: pc.SessionToken})
	if s, err := keychain.New().Session(d.user); err != nil {
		t.Errorf("no session cached in the keychain for %s: %v", d.user, err)
	} else {
		secrets["the session's SecretAccessKey"] = s.SecretAccessKey
		secrets["the session's token"] = s.SessionToken
	}

	// Failing requests and commands, whose errors might be tempted to quote.
	outputs := map[string]string{}
	for _, h := range []map[string]string{
		{"Authorization": d.Token() + "x"},
		{"Authorization": "Bearer " + iamSecret},
		{"Authorization": d.Token(), "Origin": "https://evil.example"},
		{"Authorization": d.Token(), "Host": "evil.example:1"},
	} {
		r := do(t, httpClient, newRequest(t, "GET", d.ecsURL("production"), h))
		if r.status < 400 {
			t.Errorf("a bad request for production's credentials was answered %d", r.status)
		}
		outputs[fmt.Sprintf("the %d answer to a bad ECS request", r.status)] = string(r.body)
	}
	r := do(t, httpClient, newRequest(t, "GET", d.imdsURL("staging")+"/latest/meta-data/iam/security-credentials/"+defaultRole,
		map[string]string{"X-aws-ec2-metadata-token": d.Token()}))
	outputs["the answer to a bad IMDS token"] = string(r.body)
	for _, args := range [][]string{
		{"creds", "nope"},
		{"mfa", "123456"}, // the user has no mfa_serial
		{"env", "nope"},
	} {
		r := d.run(args...)
		if r.code == 0 {
			t.Errorf("hopd %s succeeded; want a failure", strings.Join(args, " "))
		}
		outputs["hopd "+strings.Join(args, " ")] = r.stdout + r.stderr
	}
	r2 := d.runStdin(iamKeyID+"\n"+iamSecret[:39]+"\n", "keys", "set", d.user)
	outputs["hopd keys set with a short secret"] = r2.stdout + r2.stderr

	for _, args := range [][]string{
		{"status"}, {"status", "--json"},
		{"accounts"}, {"accounts", "--json"},
		{"env", "production"}, {"env", "staging", "--imds"},
	} {
		outputs["hopd "+strings.Join(args, " ")] = d.mustRun(args...)
	}
	pid := strconv.Itoa(d.PID())
	for _, f := range []string{"cmdline", "environ"} {
		if data, err := os.ReadFile("/proc/" + pid + "/" + f); err == nil {
			outputs["the daemon's /proc "+f] = string(data)
		}
	}
	d.stop() // so that the log holds the shutdown too
	outputs["the daemon's log"] = d.Log()
	// hopd may also keep a log (and other files) in its state directory.
	entries, err := os.ReadDir(d.State)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() && e.Name() != "token" {
			data, err := os.ReadFile(filepath.Join(d.State, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			outputs["the state file "+e.Name()] = string(data)
		}
	}

	for where, text := range outputs {
		for what, secret := range secrets {
			if secret == "" {
				t.Errorf("%s is empty: the test cannot look for it", what)
				continue
			}
			if strings.Contains(text, secret) {
				t.Errorf("%s contains %s", where, what)
			} else if len(secret) >= 32 && strings.Contains(text, secret[:20]) {
				t.Errorf("%s contains the first 20 characters of %s", where, what)
			}
		}
	}
	if !strings.Contains(outputs["the daemon's log"], "level=") {
		t.Errorf("the daemon's log looks empty; the test proves nothing:\n%s", outputs["the daemon's log"])
	}
}
