package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/keychain"
)

// The command line does what the contract says and, when it cannot, exits
// non-zero with one line that says why.
func TestCLI(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, options{})
	d.waitECS("production") // starts the user's session, which must survive refused keys
	kc := keychain.New()

	t.Run("keys set refuses malformed keys", func(t *testing.T) {
		tests := []struct {
			name, id, secret, why string
		}{
			{"short secret", iamKeyID, iamSecret[:39], "40 characters"},
			{"long secret", iamKeyID, iamSecret + "A", "40 characters"},
			{"secret with a space", iamKeyID, iamSecret[:20] + " " + iamSecret[21:], "space"},
			{"temporary key id", "ASIAE2ETEST000000001", iamSecret, "AKIA"},
			{"lower-case key id", "akiae2etest000000001", iamSecret, "capital"},
			{"empty secret", iamKeyID, "", "empty"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := d.runStdin(tt.id+"\n"+tt.secret+"\n", "keys", "set", d.user)
				if r.code == 0 {
					t.Fatalf("hopd keys set with a %s succeeded: %s", tt.name, r.stdout)
				}
				if !oneLine(r.stderr) || !strings.Contains(r.stderr, tt.why) {
					t.Errorf("hopd keys set with a %s said %q; want one line that mentions %q", tt.name, r.stderr, tt.why)
				}
				if tt.secret != "" && strings.Contains(r.stdout+r.stderr, tt.secret) {
					t.Errorf("hopd keys set echoed the refused secret")
				}
				k, err := kc.Keys(d.user)
				if err != nil || k.AccessKeyID != iamKeyID || k.SecretAccessKey != iamSecret {
					t.Errorf("after refusing a %s the keychain holds other keys (id %q, err %v); want the old ones", tt.name, k.AccessKeyID, err)
				}
				if _, err := kc.Session(d.user); err != nil {
					t.Errorf("refusing a %s removed the cached session: %v", tt.name, err)
				}
			})
		}
		// And the old keys and session still serve an account hopd has
		// not fetched yet.
		if c := d.waitECS("playground"); c.AccountID != "444444444444" {
			t.Errorf("playground was served credentials of account %q", c.AccountID)
		}
	})

	t.Run("creds prints credential_process JSON", func(t *testing.T) {
		out := d.mustRun("creds", "production")
		var v struct {
			Version         int
			AccessKeyID     string `json:"AccessKeyId"`
			SecretAccessKey string
			SessionToken    string
			Expiration      string
		}
		dec := json.NewDecoder(strings.NewReader(out))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("hopd creds printed something that is not credential_process JSON: %v", err)
		}
		if v.Version != 1 || v.AccessKeyID == "" || v.SecretAccessKey == "" || v.SessionToken == "" {
			t.Errorf("hopd creds: Version %d, AccessKeyId %q, secret %d bytes, token %d bytes; want Version 1 and all set",
				v.Version, v.AccessKeyID, len(v.SecretAccessKey), len(v.SessionToken))
		}
		exp, err := time.Parse(time.RFC3339, v.Expiration)
		switch {
		case err != nil || !strings.HasSuffix(v.Expiration, "Z"):
			t.Errorf("Expiration %q is not RFC 3339 UTC with a Z: %v", v.Expiration, err)
		case time.Until(exp) < 30*time.Minute:
			t.Errorf("hopd creds served credentials with %s left; it never serves less than 30 minutes", time.Until(exp))
		}
		if ecs := d.mustECS("production"); ecs.AccessKeyID != v.AccessKeyID {
			t.Errorf("hopd creds and the ECS endpoint serve different credentials (%s, %s) for one account", v.AccessKeyID, ecs.AccessKeyID)
		}
	})

	t.Run("creds for an unknown account", func(t *testing.T) {
		r := d.run("creds", "nope")
		if r.code == 0 {
			t.Fatalf("hopd creds nope succeeded: %s", r.stdout)
		}
		if !oneLine(r.stderr) || !strings.Contains(r.stderr, "nope") {
			t.Errorf("hopd creds nope said %q; want one line naming the account", r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("hopd creds nope printed %q on stdout; a credential_process must print nothing when it fails", r.stdout)
		}
	})

	t.Run("second serve refused", func(t *testing.T) {
		start := time.Now()
		r := d.run("serve", "--no-tray")
		if r.code == 0 {
			t.Fatal("a second hopd serve on the same state directory exited 0")
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("the second hopd serve took %s to give up", took)
		}
		want := fmt.Sprintf("already running (pid %d)", d.PID())
		if !oneLine(r.stderr) || !strings.Contains(r.stderr, want) {
			t.Errorf("the second hopd serve said %q; want one line with %q", r.stderr, want)
		}
		if info := d.Info(); info.PID != d.PID() {
			t.Errorf("after the refused second serve daemon.json names pid %d; want the running %d", info.PID, d.PID())
		}
		d.mustECS("production")
	})

	t.Run("no daemon", func(t *testing.T) {
		env := append(d.Env, "HOPD_STATE_DIR="+filepath.Join(t.TempDir(), "state"))
		for _, args := range [][]string{{"accounts"}, {"status"}, {"creds", "production"}} {
			r := runCmd(t, env, "", d.Bin, args...)
			if r.code == 0 {
				t.Fatalf("hopd %s with no daemon running exited 0", strings.Join(args, " "))
			}
			if !oneLine(r.stderr) || !strings.Contains(r.stderr, "not running") || !strings.Contains(r.stderr, "hopd serve") {
				t.Errorf("hopd %s with no daemon said %q; want one line saying hopd is not running and to start it with hopd serve", strings.Join(args, " "), r.stderr)
			}
		}
	})
}

// With mfa_serial set, credentials wait for an MFA code: clients get a fast
// 503 that says to run `hopd mfa`; after `hopd mfa CODE` they are served;
// and a restart within the session's lifetime asks STS for no new session,
// because the session is cached in the keychain.
func TestMFA(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, options{mfa: true})

	r := d.ecs("production")
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("GET /creds/production before any MFA code: %d %s; want 503", r.status, r.shown())
	}
	if r.took > time.Second {
		t.Errorf("the 503 asking for MFA took %s; want well under a second", r.took)
	}
	checkErrorBody(t, r)
	if !strings.Contains(string(r.body), "hopd mfa") {
		t.Errorf("the 503 says %s; want it to say to run `hopd mfa`", r.shown())
	}
	if got := d.userState(); got != api.UserNeedsMFA {
		t.Errorf("hopd status --json says the user is %q; want needs-mfa", got)
	}
	if n := d.proxy.Count("GetSessionToken"); n != 0 {
		t.Errorf("hopd called GetSessionToken %d times without an MFA code", n)
	}

	if r := d.run("mfa", "12345"); r.code == 0 || !oneLine(r.stderr) {
		t.Errorf("hopd mfa 12345: exit %d, %q; want a one-line refusal of a 5-digit code", r.code, r.stderr)
	}
	if out := d.mustRun("mfa", "123456"); strings.TrimSpace(out) == "" {
		t.Errorf("hopd mfa 123456 printed nothing; want a confirmation")
	}
	// production's client was told to wait for a code: hopd fetches its
	// credentials at once, so its error is gone within a second, before any
	// client asks again.
	code := time.Now()
	for {
		state, lastErr, _ := d.accountState("production")
		if state == string(api.AccountFresh) && lastErr == "" {
			break
		}
		if time.Since(code) > time.Second {
			t.Errorf("a second after hopd mfa, production is %s (%q); want fresh without an error", state, lastErr)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	d.waitECS("production")
	if n := d.proxy.Count("GetSessionToken"); n != 1 {
		t.Errorf("one MFA code made %d GetSessionToken calls; want 1", n)
	}
	if got := d.userState(); got != api.UserOK {
		t.Errorf("after hopd mfa, hopd status --json says the user is %q; want ok", got)
	}

	d.stop()
	d.proxy.Reset()
	d.start()
	d.waitECS("production")
	if n := d.proxy.Count("GetSessionToken"); n != 0 {
		t.Errorf("after a restart hopd called GetSessionToken %d times; want 0: the session is cached in the keychain", n)
	}
	if n := d.proxy.Count("AssumeRole"); n != 1 {
		t.Errorf("after a restart hopd called AssumeRole %d times for one account; want 1", n)
	}
}

// userState is the state of the daemon's only user in `hopd status --json`.
func (d *daemon) userState() api.UserState {
	d.t.Helper()
	var st struct {
		Broker struct {
			Users []struct {
				Name  string        `json:"name"`
				State api.UserState `json:"state"`
			} `json:"users"`
		} `json:"broker"`
	}
	out := d.mustRun("status", "--json")
	if err := json.Unmarshal([]byte(out), &st); err != nil || len(st.Broker.Users) != 1 {
		d.t.Fatalf("hopd status --json does not list one user (%v):\n%s", err, out)
	}
	return st.Broker.Users[0].State
}
