package testenv

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// motoReadyTimeout bounds how long moto may take to answer after it starts;
// importing moto takes a few seconds on a loaded machine.
const motoReadyTimeout = 20 * time.Second

// Moto is a moto server (an AWS emulator) on 127.0.0.1. Its STS does not
// check signatures, so any AKIA... key works. Its state lives in memory:
// Stop followed by Start gives an empty server on the same URL.
type Moto struct {
	URL  string // http://127.0.0.1:PORT, for AWS_ENDPOINT_URL
	Port int

	logPath string

	mu      sync.Mutex
	proc    *proc // nil while stopped
	started bool  // once true, URL is handed out and the port must not change
}

// StartMoto starts a moto server on a free port, waits until it answers, and
// stops it when the test ends. Its log is printed when the test fails.
func StartMoto(t testing.TB) *Moto {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		Missing(t, "python3 (for the moto server)", err)
	}
	port := FreePort(t)
	m := &Moto{
		URL:     "http://127.0.0.1:" + strconv.Itoa(port),
		Port:    port,
		logPath: filepath.Join(t.TempDir(), "moto.log"),
	}
	t.Cleanup(func() {
		m.Stop()
		if t.Failed() {
			t.Logf("moto log (%s), last lines:\n%s", m.logPath, tail(m.logPath, 4096))
		}
	})
	m.Start(t)
	return m
}

// Start starts moto again on the same port, after Stop, and waits until it
// answers. It does nothing while moto runs.
func (m *Moto) Start(t testing.TB) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.proc != nil && !m.proc.exited() {
		return
	}
	err := m.start()
	for try := 0; errors.Is(err, errPortTaken) && !m.started && try < 3; try++ {
		// Nobody holds the URL yet: move to another free port.
		m.Port = FreePort(t)
		m.URL = "http://127.0.0.1:" + strconv.Itoa(m.Port)
		err = m.start()
	}
	if err == nil {
		m.started = true
	}
	if err != nil {
		if errors.Is(err, errNoMoto) {
			Missing(t, "the moto Python package (pip install 'moto[server]')", err)
		}
		t.Fatalf("cannot start moto on %s: %v\nmoto log (%s), last lines:\n%s", m.URL, err, m.logPath, tail(m.logPath, 4096))
	}
}

var (
	errNoMoto    = errors.New("python3 cannot import moto")
	errPortTaken = errors.New("another program took moto's port")
)

// start runs the server and waits for it; the caller holds m.mu.
func (m *Moto) start() error {
	log, err := os.OpenFile(m.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	// The child has its own copy of the descriptor once started.
	defer log.Close()
	fmt.Fprintf(log, "--- testenv: starting moto on port %d at %s\n", m.Port, time.Now().Format(time.RFC3339))

	cmd := exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", strconv.Itoa(m.Port))
	cmd.Stdout = log
	cmd.Stderr = log
	p, err := startProc(cmd)
	if err != nil {
		return err
	}
	m.proc = p

	client := &http.Client{Timeout: time.Second}
	var result, last error
	if !Poll(motoReadyTimeout, func() bool {
		// Any HTTP answer means the server is up; /moto-api/ is moto's own
		// dashboard and costs it nothing.
		resp, err := client.Get(m.URL + "/moto-api/")
		last = err
		if err == nil {
			resp.Body.Close()
			// Another test process may have taken the port between FreePort
			// and now, even another moto, which answers just like ours. Ours
			// is the one when our child logged that it bound the port.
			if p.exited() {
				result = fmt.Errorf("%w: port %d, and moto exited: %v", errPortTaken, m.Port, p.err)
				return true
			}
			if strings.Contains(tail(m.logPath, 4096), fmt.Sprintf("Running on http://127.0.0.1:%d", m.Port)) {
				return true
			}
		}
		if p.exited() {
			result = m.exitError(p)
			return true
		}
		return false
	}) {
		p.stop()
		return fmt.Errorf("moto did not answer within %s: %v", motoReadyTimeout, last)
	}
	return result
}

// exitError says why moto exited before it answered.
func (m *Moto) exitError(p *proc) error {
	log := tail(m.logPath, 4096)
	if strings.Contains(log, "No module named") {
		return fmt.Errorf("%w: %v", errNoMoto, p.err)
	}
	if strings.Contains(log, "Address already in use") {
		return fmt.Errorf("%w: port %d", errPortTaken, m.Port)
	}
	return fmt.Errorf("moto exited before it answered: %v", p.err)
}

// Stop kills moto, so that callers see connections refused (an outage). It
// is safe to call more than once.
func (m *Moto) Stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.proc.stop()
	m.proc = nil
}
