package e2e_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/testenv"
)

// squatterScript listens where hopd should, answers every request with
// forged credentials, and prints what each connection sent it.
const squatterScript = `
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
print("listening", flush=True)
body = b'{"AccessKeyId":"ASIAFORGEDFORGED","SecretAccessKey":"forged","Token":"forged","Expiration":"2030-01-01T00:00:00Z"}'
while True:
    c, _ = s.accept()
    c.settimeout(2)
    try:
        data = c.recv(65536)
    except Exception:
        data = b""
    print("got %d bytes: %r" % (len(data), data), flush=True)
    try:
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
    except Exception:
        pass
    c.close()
`

// squatter is a listener of user nobody's on a port of hopd's.
type squatter struct {
	mu  sync.Mutex
	out bytes.Buffer
}

func (s *squatter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(p)
}

func (s *squatter) heard() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

func startSquatter(t *testing.T, port int) *squatter {
	t.Helper()
	if os.Getuid() != 0 {
		testenv.Missing(t, "root, to listen as another user", fmt.Errorf("running as uid %d", os.Getuid()))
	}
	// The system python: a pyenv under /root is not open to nobody.
	const py = "/usr/bin/python3"
	_, err := os.Stat(py)
	if err != nil {
		testenv.Missing(t, "/usr/bin/python3 (apt-get install python3), to listen as another user", err)
	}
	s := &squatter{}
	cmd := exec.Command(py, "-u", "-c", squatterScript, strconv.Itoa(port))
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = s, s
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the squatter: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	eventually(t, 10*time.Second, func() string {
		if !strings.Contains(s.heard(), "listening") {
			return "the squatter does not listen on " + strconv.Itoa(port) + ": " + s.heard()
		}
		return ""
	})
	return s
}

// TestSquatterOnHopdsPorts: while hopd is down, user nobody listens on its
// port, and a daemon.json (from a daemon killed before it cleaned up, or a
// pid since reused) points the CLI there. hopd creds, hopd mfa and hopd
// status refuse to talk to it and say why; it receives neither the token
// nor the code. With hopd up and an imds_port squatted, status, env --imds
// and doctor name the squatter (issue 12).
func TestSquatterOnHopdsPorts(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, options{})
	d.WriteConfig(d.config(d.accounts))
	d.setKeys(iamKeyID, iamSecret)
	must(t, os.MkdirAll(d.State, 0o700))
	port, _ := strconv.Atoi(d.Listen[strings.LastIndex(d.Listen, ":")+1:])
	main := startSquatter(t, port)

	daemonJSON := filepath.Join(d.State, "daemon.json")
	// A live pid: this test's own.
	must(t, os.WriteFile(daemonJSON, fmt.Appendf(nil, `{"pid":%d,"listen":%q}`, os.Getpid(), d.Listen), 0o600))
	must(t, os.WriteFile(filepath.Join(d.State, "token"), []byte(strings.Repeat("a1", 32)), 0o600))
	for _, args := range [][]string{{"creds", "production"}, {"mfa", "123456"}, {"status"}} {
		r := d.run(args...)
		msg := strings.TrimSpace(r.stderr)
		if r.code == 0 || !strings.Contains(msg, "held by uid 65534 (nobody)") || !strings.Contains(msg, "nothing was sent") || !oneLine(msg) {
			t.Errorf("hopd %s with a squatter on %s: exit %d, stdout %q, stderr %q; want a one-line refusal naming uid 65534", strings.Join(args, " "), d.Listen, r.code, r.stdout, r.stderr)
		}
		if strings.Contains(r.stdout, "FORGED") {
			t.Errorf("hopd %s printed the squatter's credentials: %s", strings.Join(args, " "), r.stdout)
		}
	}
	r := d.run("doctor")
	if !strings.Contains(r.stdout+r.stderr, "uid 65534 (nobody)") {
		t.Errorf("hopd doctor does not name the squatter on %s:\n%s%s", d.Listen, r.stdout, r.stderr)
	}
	if heard := main.heard(); strings.Contains(heard, strings.Repeat("a1", 32)) || strings.Contains(heard, "123456") || strings.Contains(heard, "Authorization") {
		t.Errorf("the squatter received a request with secrets:\n%s", heard)
	}

	// A dead pid: the file is reported and removed.
	dead := exec.Command("true")
	must(t, dead.Run())
	must(t, os.WriteFile(daemonJSON, fmt.Appendf(nil, `{"pid":%d,"listen":%q}`, dead.Process.Pid, d.Listen), 0o600))
	r = d.run("status")
	if r.code == 0 || !strings.Contains(r.stderr, "which is gone") {
		t.Errorf("hopd status with a stale daemon.json: exit %d, %q; want it reported", r.code, r.stderr)
	}
	if _, err := os.Stat(daemonJSON); !os.IsNotExist(err) {
		t.Errorf("the stale daemon.json is still there (%v)", err)
	}
	must(t, os.Remove(filepath.Join(d.State, "token")))

	// hopd up, on a free listen address, with production's imds_port squatted.
	imds := startSquatter(t, d.ports["production"])
	d.Listen = "127.0.0.1:" + strconv.Itoa(freePort(t))
	d.WriteConfig(d.config(d.accounts))
	d.start()
	d.waitECS("production")
	eventually(t, 10*time.Second, func() string {
		if r := d.run("status"); !strings.Contains(r.stdout, "imds_port "+strconv.Itoa(d.ports["production"])+" of production is held by a program of uid 65534 (nobody)") {
			return "hopd status does not warn of the squatted imds_port:\n" + r.stdout + r.stderr
		}
		return ""
	})
	if r := d.run("env", "production", "--imds"); r.code == 0 || !strings.Contains(r.stderr, "uid 65534 (nobody)") || strings.Contains(r.stdout, "AWS_EC2_METADATA") {
		t.Errorf("hopd env production --imds with the port squatted: exit %d, %q %q; want a refusal naming the squatter", r.code, r.stdout, r.stderr)
	}
	if r := d.run("env", "staging", "--imds"); r.code != 0 {
		t.Errorf("hopd env staging --imds (not squatted): exit %d, %s", r.code, r.stderr)
	}
	r = d.run("doctor")
	if !strings.Contains(r.stdout+r.stderr, fmt.Sprintf("127.0.0.1:%d (the imds_port of account production) is held by a program of uid 65534 (nobody)", d.ports["production"])) {
		t.Errorf("hopd doctor does not name the imds_port's squatter:\n%s%s", r.stdout, r.stderr)
	}
	if heard := imds.heard(); strings.Contains(heard, d.Token()) {
		t.Errorf("the IMDS squatter received the token:\n%s", heard)
	}
}
