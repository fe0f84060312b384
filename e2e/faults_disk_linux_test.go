package e2e_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/testenv"
)

// The state directory's disk full. hopd must keep serving held and new
// accounts, keep taking config edits and answering `hopd status`; only log
// lines are lost, and once there is room the log goes on by itself. Started
// on a full disk, it must exit at once with one line that names the
// problem, leaving no temporary file behind.
func TestFaultDiskFull(t *testing.T) {
	t.Parallel()
	mnt := t.TempDir()
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=64k,mode=0700"); err != nil {
		testenv.Missing(t, "a tmpfs mount for a small state directory (run as root)", err)
	}
	// Registered before the daemon's cleanup, so it runs after it.
	t.Cleanup(func() { _ = syscall.Unmount(mnt, syscall.MNT_DETACH) })
	d := newDaemon(t, options{accounts: threeAccounts[:2], state: mnt})
	d.WriteConfig(d.config(d.accounts))
	d.setKeys(iamKeyID, iamSecret)
	d.start()
	w := watchDaemon(t, d, nil)
	held := d.waitECS("production")

	filler := fill(t, mnt)
	if got := w.mustECS("production"); got.AccessKeyID != held.AccessKeyID {
		t.Errorf("with the disk full ECS served key %s; want the held %s", got.AccessKeyID, held.AccessKeyID)
	}
	w.serving("staging", 10*time.Second)
	if r := d.run("status"); r.code != 0 {
		t.Errorf("hopd status with the disk full: exit %d: %s", r.code, r.stderr)
	}
	d.WriteConfig(strings.Replace(d.config(d.accounts), "[[account]]", "[[account]]\ncolor = \"purple\"", 1))
	eventually(t, 5*time.Second, func() string {
		if !strings.Contains(d.mustRun("accounts", "--json"), "#800080") {
			return "with the disk full hopd did not take a config edit"
		}
		return ""
	})

	must(t, os.Remove(filler))
	logPath := filepath.Join(d.State, "hopd.log")
	before := fileSize(logPath)
	eventually(t, 5*time.Second, func() string {
		// An unauthorised request is logged at info.
		do(t, httpClient, newRequest(t, "GET", d.ecsURL("production"), nil))
		if fileSize(logPath) > before {
			return ""
		}
		return "with room again hopd's log does not go on"
	})

	d.stop()
	filler = fill(t, mnt)
	defer os.Remove(filler)
	start := time.Now()
	r := d.run("serve", "--no-tray")
	last := lastLine(r.stderr)
	t.Logf("hopd serve on a full disk: exit %d: %s", r.code, last)
	if r.code == 0 || !strings.Contains(last, "no space left") {
		t.Errorf("hopd serve on a full disk: exit %d, last line %q; want a failure that says the disk is full", r.code, last)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("hopd serve on a full disk took %s to give up; want at once", took.Round(time.Millisecond))
	}
	entries, _ := os.ReadDir(mnt)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("a failed start on a full disk left %s in the state directory", e.Name())
		}
	}
}

// fill writes a file in dir until the disk is full and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", dir, err)
			}
			return path
		}
	}
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
