package load

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// floorEnv, set in the environment of a child of StartFloor, names the
// file with the body it serves.
const floorEnv = "HOPD_LOAD_FLOOR_BODY"

// StartFloor serves body from the most trivial net/http handler on
// loopback: what serving costs before anything hopd does, measured in the
// same run on the same machine. The handler runs in a process of its own,
// as hopd does (a server inside the load generator's process would share
// its scheduler and skip the cost of waking another process): this binary,
// started again, which must call ServeFloorIfAsked first thing. Give it a
// body of the size hopd serves. Close it when done.
func StartFloor(body []byte) (*Floor, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding this program to start the floor server: %w", err)
	}
	dir, err := os.MkdirTemp("", "hopd-floor-")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "body")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), floorEnv+"="+path)
	cmd.Stderr = os.Stderr
	// The child exits when its stdin closes: when we stop it, or die.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting the floor server: %w", err)
	}
	stop := func() {
		stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		os.RemoveAll(dir)
	}
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	select {
	case a := <-addr:
		if a == "" {
			stop()
			return nil, errors.New("the floor server did not start: does the program call load.ServeFloorIfAsked first?")
		}
		return &Floor{URL: "http://" + a + "/creds/floor", PID: cmd.Process.Pid, stop: stop}, nil
	case <-time.After(10 * time.Second):
		stop()
		return nil, errors.New("the floor server did not start within 10 s")
	}
}

// Floor is a running floor server.
type Floor struct {
	URL  string // what to GET
	PID  int    // its process, to measure
	stop func()
}

// Close stops the floor server.
func (f *Floor) Close() { f.stop() }

// ServeFloorIfAsked turns this process into the floor server when
// StartFloor started it, and never returns then; otherwise it returns at
// once. Call it first in main, or in TestMain.
func ServeFloorIfAsked() {
	path := os.Getenv(floorEnv)
	if path == "" {
		return
	}
	body, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	fmt.Println(ln.Addr().String())
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	_ = srv.Serve(ln)
	os.Exit(1)
}
