package e2e_test

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/testenv"
)

// `hopd autostart enable` writes a desktop entry that GLib's launcher (what
// GNOME's session runs at login) starts as a working daemon; a second start
// from the entry exits 0; `status` notices when the binary has moved and
// `enable` from the new place repairs the entry; `disable` removes it.
func TestAutostartEntryStartsDaemon(t *testing.T) {
	t.Parallel()
	gio, err := exec.LookPath("gio")
	if err != nil {
		testenv.Missing(t, "gio (apt-get install libglib2.0-bin), to launch the entry as GNOME does", err)
	}
	d := newDaemon(t, options{accounts: threeAccounts[:1]})
	d.WriteConfig(d.config(d.accounts))
	d.setKeys(iamKeyID, iamSecret)

	// hopd installed at a path with a space, as on many machines.
	scratch := t.TempDir()
	bin := copyHopd(t, d.Bin, filepath.Join(scratch, "my apps", "hopd"))
	env := append(d.Env, "XDG_CONFIG_DIRS="+filepath.Join(scratch, "etc-xdg"))
	hopd := func(bin string, args ...string) result { return runCmd(t, env, "", bin, args...) }

	r := hopd(bin, "autostart", "enable")
	entry := filepath.Join(d.Home, ".config", "autostart", "hopd.desktop")
	if r.code != 0 || !strings.Contains(r.stdout, entry) {
		t.Fatalf("hopd autostart enable: exit %d, %q %q; want it to name %s", r.code, r.stdout, r.stderr, entry)
	}
	if b, err := exec.Command("desktop-file-validate", entry).CombinedOutput(); err != nil || len(b) > 0 {
		t.Errorf("desktop-file-validate: %v %s", err, b)
	}

	// The daemon inherits gio's stdout and stderr: a file, not a pipe,
	// or waiting for gio would wait for the daemon.
	out, err := os.Create(filepath.Join(scratch, "gio.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	launch := exec.Command(gio, "launch", entry)
	launch.Env, launch.Stdout, launch.Stderr = env, out, out
	if err := launch.Run(); err != nil {
		b, _ := os.ReadFile(out.Name())
		t.Fatalf("gio launch %s: %v %s", entry, err, b)
	}
	// The daemon is gio's child, not ours: stop it by its pid.
	var pid int
	eventually(t, 15*time.Second, func() string {
		if pid = d.Info().PID; pid == 0 {
			return "the daemon started from the entry wrote no daemon.json"
		}
		return ""
	})
	t.Cleanup(func() { stopPid(t, pid) })
	if c := d.waitECS("production"); c.AccountID != "222222222222" {
		t.Errorf("the daemon started from the entry served account %q", c.AccountID)
	}
	if log := readState(t, d, "hopd.log"); !strings.Contains(log, "hopd is serving") {
		t.Errorf("the daemon started at login did not log to hopd.log:\n%s", log)
	}

	// What the entry runs, run again while hopd runs, exits 0.
	if r := hopd(bin, "serve", "--autostart"); r.code != 0 || !strings.Contains(r.stderr, "already running (pid ") {
		t.Errorf("a second start from the entry: exit %d, %q; want exit 0 saying hopd already runs", r.code, r.stderr)
	}
	if r := hopd(bin, "autostart", "status"); r.code != 0 || !strings.Contains(r.stdout, "enabled: "+entry) {
		t.Errorf("hopd autostart status: exit %d, %q %q; want enabled at %s", r.code, r.stdout, r.stderr, entry)
	}

	// Move hopd, as an upgrade to another path would.
	moved := filepath.Join(scratch, "moved", "hopd")
	if err := os.MkdirAll(filepath.Dir(moved), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(bin, moved); err != nil {
		t.Fatal(err)
	}
	r = hopd(moved, "autostart", "status")
	if r.code != 1 || !oneLine(r.stderr) || !strings.Contains(r.stderr, bin) || !strings.Contains(r.stderr, "no longer exists") || !strings.Contains(r.stderr, "hopd autostart enable") {
		t.Errorf("hopd autostart status after hopd moved: exit %d, %q; want exit 1 and one line naming %s and the fix", r.code, r.stderr, bin)
	}
	if r := hopd(moved, "autostart", "enable"); r.code != 0 {
		t.Fatalf("hopd autostart enable from the new place: exit %d, %q", r.code, r.stderr)
	}
	if r := hopd(moved, "autostart", "status"); r.code != 0 || !strings.Contains(r.stdout, moved) {
		t.Errorf("hopd autostart status after the repair: exit %d, %q %q; want it to run %s", r.code, r.stdout, r.stderr, moved)
	}

	if r := hopd(moved, "autostart", "disable"); r.code != 0 {
		t.Fatalf("hopd autostart disable: exit %d, %q", r.code, r.stderr)
	}
	if _, err := os.Stat(entry); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after disable the entry is still there: %v", err)
	}
	if r := hopd(moved, "autostart", "status"); r.code != 0 || !strings.HasPrefix(r.stdout, "disabled") {
		t.Errorf("hopd autostart status after disable: exit %d, %q", r.code, r.stdout)
	}
	if r := hopd(moved, "autostart", "enable", "--systemd", "--xdg"); r.code == 0 || !oneLine(r.stderr) {
		t.Errorf("hopd autostart enable --systemd --xdg: exit %d, %q; want a one-line refusal", r.code, r.stderr)
	}
}

// With --autostart and no config yet (a package's entry for a user who has
// not set hopd up), serve exits 0 at once rather than fail every login.
func TestAutostartWithoutConfig(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, options{accounts: threeAccounts[:1]})
	r := d.run("serve", "--autostart")
	if r.code != 0 || !strings.Contains(r.stderr, "no config file yet") {
		t.Errorf("hopd serve --autostart without a config: exit %d, %q; want exit 0 saying there is no config yet", r.code, r.stderr)
	}
	if r := d.run("serve"); r.code == 0 || !oneLine(r.stderr) || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("hopd serve without a config: exit %d, %q; want a one-line failure", r.code, r.stderr)
	}
}

func copyHopd(t *testing.T, from, to string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return to
}

// alive reports whether pid runs. An orphan that exited stays a zombie
// until init reaps it, which in a container may be never.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// pid (comm) STATE ...: comm may hold spaces, so look after the ')'.
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

// stopPid stops a daemon that is not the test's child: SIGTERM, then wait
// until the pid is gone.
func stopPid(t *testing.T, pid int) {
	if pid <= 0 {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	if !testenv.Poll(10*time.Second, func() bool { return !alive(pid) }) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("hopd (pid %d) did not exit within 10s of SIGTERM", pid)
	}
}
