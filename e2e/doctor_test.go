package e2e_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/testenv"
)

// finding is one line of `hopd doctor`: level, check, message.
type finding struct{ level, check, msg string }

func doctorLines(t *testing.T, out string) map[string][]finding {
	t.Helper()
	found := map[string][]finding{}
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) < 3 {
			t.Fatalf("hopd doctor printed a line without level, check and message: %q", line)
		}
		msg := strings.TrimSpace(line[strings.Index(line, f[1])+len(f[1]):])
		found[f[1]] = append(found[f[1]], finding{f[0], f[1], msg})
	}
	return found
}

// expect fails unless doctor reported check at level with every phrase.
func expect(t *testing.T, found map[string][]finding, check, level string, phrases ...string) {
	t.Helper()
	for _, f := range found[check] {
		if f.level != level {
			continue
		}
		ok := true
		for _, p := range phrases {
			ok = ok && strings.Contains(f.msg, p)
		}
		if ok {
			return
		}
	}
	t.Errorf("hopd doctor said %v about %s; want a %s line with %q", found[check], check, level, phrases)
}

// hopd doctor, with and without a running daemon: one line per finding,
// each failure named with what to do, exit 1 when anything failed.
func TestDoctor(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, options{accounts: threeAccounts[:1]})
	d.waitECS("production")
	scratch := t.TempDir()
	base := append(d.Env, "XDG_CONFIG_DIRS="+filepath.Join(scratch, "etc-xdg"))
	doctor := func(t *testing.T, wantCode int, env ...string) map[string][]finding {
		t.Helper()
		r := runCmd(t, append(append([]string{}, base...), env...), "", d.Bin, "doctor")
		if r.code != wantCode {
			t.Errorf("hopd doctor: exit %d; want %d\n%s%s", r.code, wantCode, r.stdout, r.stderr)
		}
		if wantCode != 0 && (!oneLine(r.stderr) || !strings.Contains(r.stderr, "FAIL")) {
			t.Errorf("hopd doctor failing said %q on stderr; want one line pointing at the FAIL lines", r.stderr)
		}
		for _, s := range []string{iamSecret, d.Token()} {
			if strings.Contains(r.stdout+r.stderr, s) {
				t.Error("hopd doctor printed a secret")
			}
		}
		return doctorLines(t, r.stdout)
	}
	// Another config and state directory, with no daemon.
	alone := func(t *testing.T, cfg string) []string {
		path := filepath.Join(t.TempDir(), "config.toml")
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		return []string{"HOPD_CONFIG=" + path, "HOPD_STATE_DIR=" + filepath.Join(t.TempDir(), "state")}
	}
	userCfg := func(listen int, user string) string {
		return fmt.Sprintf("listen = \"127.0.0.1:%d\"\n[user]\nname = %q\n", listen, user)
	}

	t.Run("healthy with a daemon", func(t *testing.T) {
		found := doctor(t, 0)
		expect(t, found, "config", "ok", d.Config, "1 account")
		expect(t, found, "keychain", "ok", d.user)
		expect(t, found, "daemon", "ok", fmt.Sprintf("pid %d", d.PID()))
		expect(t, found, "ports", "ok", "2 ports in use by hopd")
		expect(t, found, "tray", "warn", "StatusNotifierWatcher")
		expect(t, found, "autostart", "warn", "hopd autostart enable")
		expect(t, found, "clock", "ok", d.proxy.URL)
	})

	t.Run("no daemon", func(t *testing.T) {
		found := doctor(t, 0, alone(t, userCfg(freePort(t), d.user))...)
		expect(t, found, "daemon", "warn", "not running", "hopd serve")
		expect(t, found, "ports", "ok", "all 1 port free")
	})

	t.Run("keys missing", func(t *testing.T) {
		found := doctor(t, 1, alone(t, userCfg(freePort(t), "nokeys"+d.user))...)
		expect(t, found, "keychain", "FAIL", "hopd keys set nokeys"+d.user)
	})

	t.Run("keychain unreachable", func(t *testing.T) {
		found := doctor(t, 1, "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(t.TempDir(), "nobus"))
		expect(t, found, "keychain", "FAIL", "cannot reach the keychain")
		expect(t, found, "tray", "warn", "cannot connect to the D-Bus session bus")
	})

	t.Run("port taken", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		port := ln.Addr().(*net.TCPAddr).Port
		found := doctor(t, 1, alone(t, userCfg(port, d.user))...)
		expect(t, found, "ports", "FAIL", "127.0.0.1:"+strconv.Itoa(port), "taken", "listen")
	})

	t.Run("autostart entry broken", func(t *testing.T) {
		home := t.TempDir()
		env := []string{"HOME=" + home}
		copied := copyHopd(t, d.Bin, filepath.Join(t.TempDir(), "old", "hopd"))
		if r := runCmd(t, append(append([]string{}, base...), env...), "", copied, "autostart", "enable"); r.code != 0 {
			t.Fatalf("hopd autostart enable: %d %s", r.code, r.stderr)
		}
		if err := os.Remove(copied); err != nil {
			t.Fatal(err)
		}
		found := doctor(t, 1, env...)
		expect(t, found, "autostart", "FAIL", copied, "no longer exists", "hopd autostart enable")
	})

	t.Run("STS unreachable", func(t *testing.T) {
		down := "http://127.0.0.1:" + strconv.Itoa(freePort(t))
		found := doctor(t, 1, "AWS_ENDPOINT_URL="+down)
		expect(t, found, "clock", "FAIL", "cannot reach STS at "+down)
	})

	// Last: it leaves the daemon on its previous config.
	t.Run("bad config edit", func(t *testing.T) {
		d.WriteConfig(d.config(d.accounts) + "\n[[account]]\nname = \"broken\"\nid = \"123\"\n")
		var found map[string][]finding
		// The daemon takes the edit in a moment; expect says what is wrong
		// if it never does.
		testenv.Poll(10*time.Second, func() bool {
			found = doctor(t, 1)
			f := found["daemon"]
			return len(f) > 0 && f[0].level == "FAIL"
		})
		expect(t, found, "config", "FAIL", d.Config+":", "12 digits")
		expect(t, found, "daemon", "FAIL", "refused the last config edit", "12 digits")
	})
}
