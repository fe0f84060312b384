package e2e_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/testenv"
)

// floodScript holds 300 keep-alive connections to a port, then opens and
// closes 20,000 more, each with a request, as a user that is not hopd's.
const floodScript = `
import socket, sys, time
port = int(sys.argv[1])
req = b"GET /creds/production HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n"
keep = []
for i in range(300):
    try:
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(req)
        keep.append(s)
    except OSError:
        pass
print("holding", len(keep), flush=True)
opened = 0
for i in range(20000):
    try:
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(req)
        s.close()
        opened += 1
    except OSError:
        pass
print("done", opened, flush=True)
time.sleep(60)
`

// TestFloodFromAnotherUser: user nobody holds 300 keep-alive connections
// and opens 20,000 more. hopd closes each at accept, so the owner's
// requests stay fast, the daemon's memory stays near its baseline, and the
// log has a line per minute, not one per connection (issue 12: it grew
// from 21 MB to 475 MB and timed out the owner).
func TestFloodFromAnotherUser(t *testing.T) {
	t.Parallel()
	if os.Getuid() != 0 {
		testenv.Missing(t, "root, to connect as another user", fmt.Errorf("running as uid %d", os.Getuid()))
	}
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		testenv.Missing(t, "/usr/bin/python3 (apt-get install python3), to connect as another user", err)
	}
	d := startDaemon(t, options{})
	d.waitECS("production")
	for range 50 { // the owner's requests warm the daemon up
		d.mustECS("production")
	}
	base := vmRSS(t, d.PID())
	baseFDs := openFDs(t, d.PID())

	port := d.Listen[strings.LastIndex(d.Listen, ":")+1:]
	flood := &squatter{} // a locked buffer for its output
	cmd := exec.Command(py, "-u", "-c", floodScript, port)
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = flood, flood
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the flood: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	var took []time.Duration
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(flood.heard(), "done") {
		if time.Now().After(deadline) {
			t.Fatalf("the flood did not finish in 2 minutes: %s", flood.heard())
		}
		r := d.ecs("production")
		if r.status != http.StatusOK {
			t.Fatalf("the owner's request during the flood: %s", r.shown())
		}
		took = append(took, r.took)
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(flood.heard(), "holding 300") {
		t.Logf("the flood: %s", flood.heard())
	}
	// While the 300 are still held open by the flood.
	for range 20 {
		r := d.ecs("production")
		if r.status != http.StatusOK {
			t.Fatalf("the owner's request after the flood: %s", r.shown())
		}
		took = append(took, r.took)
	}
	fds := openFDs(t, d.PID())
	slices.Sort(took)
	median, p90 := took[len(took)/2], took[len(took)*9/10]
	rss := vmRSS(t, d.PID())
	t.Logf("%d owner requests during the flood: median %s, 90th percentile %s, slowest %s; RSS %d kB before, %d kB after; %d descriptors before, %d while 300 are held (%s)",
		len(took), median, p90, took[len(took)-1], base, rss, baseFDs, fds, strings.TrimSpace(flood.heard()))
	// The held connections are the attack: kept open, each costs hopd a
	// descriptor, a goroutine and buffers. Closed at accept, none stays.
	if fds-baseFDs > 50 {
		t.Errorf("hopd holds %d descriptors while another user holds 300 connections (%d before); want them closed at accept", fds, baseFDs)
		out, _ := exec.Command("ss", "-tanp").CombinedOutput()
		for line := range strings.Lines(string(out)) {
			if strings.Contains(line, fmt.Sprintf("pid=%d,", d.PID())) {
				t.Log("held:", strings.Join(strings.Fields(line)[:5], " "))
			}
		}
	}
	if p90 > 100*time.Millisecond {
		t.Errorf("the owner's requests took %s (90th percentile) during the flood; want under 100 ms", p90)
	}
	// The bound leaves room for the garbage of 20,000 accepts that the
	// collector has not yet returned on a loaded machine (up to 12 MB was
	// seen under the full suite); keeping them open grew it by 23 MB here
	// and by 450 MB with 20,000 held.
	if rss-base > 20*1024 {
		t.Errorf("hopd's RSS grew from %d kB to %d kB under the flood; want within 20 MB", base, rss)
	}
	if n := strings.Count(d.Log(), "refusing connections from another user"); n == 0 || n > 3 {
		t.Errorf("the log has %d refusal lines; want one a minute (1 to 3 for this run)", n)
	}
	if strings.Count(d.Log(), "refusing a connection from another user") != 0 {
		t.Error("a foreign connection reached the per-request check; it must be closed at accept")
	}
}

// openFDs counts the descriptors a process holds.
func openFDs(t *testing.T, pid int) int {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		testenv.Missing(t, "/proc (to count the daemon's descriptors)", err)
	}
	return len(ents)
}
