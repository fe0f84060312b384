package e2e_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/testenv"
)

// The config file deleted, truncated mid-write, replaced with garbage, made
// unreadable. hopd must keep serving every account of the last good config
// (ECS and IMDS listeners alike), say what is wrong in `hopd status`, and
// take the good config again by itself once the file is fixed.
func TestFaultConfigFile(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, options{})
	d.Bin = withoutFileOverride(t, d.Bin)
	good := d.config(d.accounts)
	d.WriteConfig(good)
	d.setKeys(iamKeyID, iamSecret)
	d.start()
	w := watchDaemon(t, d, nil)
	for _, a := range d.accounts {
		d.waitECS(a.Name)
	}

	// Cut inside the last account's name: a file an editor was still
	// writing, which parses as nothing.
	cut := strings.LastIndex(good, `name = "`) + len(`name = "pl`)
	garbage := make([]byte, 4096)
	_, _ = rand.Read(garbage)
	for _, fault := range []struct {
		name        string
		break_, fix func()
	}{
		{"deleted", func() { must(t, os.Remove(d.Config)) }, func() { d.WriteConfig(good) }},
		{"truncated mid-write", func() { must(t, os.WriteFile(d.Config, []byte(good[:cut]), 0o600)) }, func() { d.WriteConfig(good) }},
		{"replaced with garbage", func() { d.WriteConfig(string(garbage)) }, func() { d.WriteConfig(good) }},
		{"unreadable", func() { must(t, os.Chmod(d.Config, 0)) }, func() { must(t, os.Chmod(d.Config, 0o600)) }},
	} {
		fault.break_()
		var why string
		eventually(t, 5*time.Second, func() string {
			if why = d.faultStatus().Daemon.ConfigError; why == "" {
				return "hopd status shows no config error after the config file was " + fault.name
			}
			return ""
		})
		t.Logf("config %s: hopd status says: %s", fault.name, why)
		for _, a := range d.accounts {
			w.mustECS(a.Name)
			if _, status := w.imds(a.Name); status != 200 {
				t.Errorf("config %s: IMDS of %s answers %d; the last good config's listeners must stay", fault.name, a.Name, status)
			}
		}
		if r := d.run("status"); r.code != 0 || !strings.Contains(r.stdout+r.stderr, "config") {
			t.Errorf("config %s: hopd status exits %d and says:\n%s%s\nwant exit 0 and the config problem", fault.name, r.code, r.stdout, r.stderr)
		}
		fault.fix()
		eventually(t, 5*time.Second, func() string {
			if e := d.faultStatus().Daemon.ConfigError; e != "" {
				return "after the config file was fixed hopd status still says: " + e
			}
			return ""
		})
	}
}

// withoutFileOverride makes a root test run hopd without the capability to
// read files whatever their mode, so that a file made unreadable is
// unreadable to hopd as it is to a user. Other users run hopd as it is.
func withoutFileOverride(t *testing.T, bin string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		return bin
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		testenv.Missing(t, "setpriv (util-linux), to run hopd as root without CAP_DAC_OVERRIDE", err)
	}
	wrapper := filepath.Join(t.TempDir(), "hopd")
	script := fmt.Sprintf("#!/bin/sh\nexec %s --bounding-set -dac_override,-dac_read_search -- %s \"$@\"\n", setpriv, bin)
	must(t, os.WriteFile(wrapper, []byte(script), 0o700))
	return wrapper
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A port taken at start. With the main address taken, hopd must not
// start: it exits non-zero at once, its last word one line that names the
// address, and it leaves no daemon.json or hopd.pid. With an account's
// IMDS port taken, it must serve everything else and name the port.
func TestFaultPortTaken(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, options{accounts: threeAccounts[:2]})
	d.WriteConfig(d.config(d.accounts))
	d.setKeys(iamKeyID, iamSecret)

	ln, err := net.Listen("tcp", d.Listen)
	if err != nil {
		t.Fatalf("taking hopd's port: %v", err)
	}
	start := time.Now()
	r := d.run("serve", "--no-tray")
	took := time.Since(start)
	ln.Close()
	last := lastLine(r.stderr)
	t.Logf("hopd serve with its address taken: exit %d: %s", r.code, last)
	if r.code == 0 || !strings.Contains(last, d.Listen) {
		t.Errorf("hopd serve with its address taken: exit %d, last line %q; want a failure naming %s", r.code, last, d.Listen)
	}
	if took > 5*time.Second {
		t.Errorf("hopd serve with its address taken took %s to give up; want at once", took.Round(time.Millisecond))
	}
	for _, name := range []string{"daemon.json", "hopd.pid"} {
		if _, err := os.Stat(filepath.Join(d.State, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("after failing to start, %s is in the state directory (%v)", name, err)
		}
	}

	port := d.ports["staging"]
	imdsLn, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("taking staging's IMDS port: %v", err)
	}
	defer imdsLn.Close()
	d.start()
	w := watchDaemon(t, d, nil)
	d.waitECS("production")
	w.serving("staging", 10*time.Second)
	if _, status := w.imds("production"); status != 200 {
		t.Errorf("production's IMDS answers %d while only staging's port is taken", status)
	}
	if !strings.Contains(d.Log(), fmt.Sprintf("127.0.0.1:%d", port)) {
		t.Errorf("hopd's log does not name the taken IMDS port %d:\n%s", port, d.Log())
	}

	// Let go, the port is hopd's within its retry interval (10 s), with no
	// config edit or restart.
	imdsLn.Close()
	eventually(t, 15*time.Second, func() string {
		if !accepts(port) {
			return fmt.Sprintf("staging's IMDS port %d stays closed after it was let go; want hopd to take it", port)
		}
		if _, status := w.imds("staging"); status != 200 {
			return fmt.Sprintf("staging's IMDS answers %d after its port was let go; want hopd to take it", status)
		}
		return ""
	})
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}
