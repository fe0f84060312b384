package testenv

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

// proc is a child process that testenv started and must stop again.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited and been reaped
	err  error         // the exit status; read only after done is closed
}

// startProc starts cmd and reaps it in the background, so that exits are
// noticed (a daemon that dies while starting) and no zombie is left behind.
func startProc(cmd *exec.Cmd) (*proc, error) {
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{name: cmd.Path, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop kills the process (and on Linux its process group, so that helpers
// it started die too) and waits until it has been reaped.
func (p *proc) stop() {
	if p == nil || p.exited() {
		return
	}
	killTree(p.cmd)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		fmt.Fprintf(os.Stderr, "testenv: %s (pid %d) did not exit 10s after SIGKILL\n", p.name, p.cmd.Process.Pid)
	}
}

// tail returns the last n bytes of the file at path, for showing a daemon's
// log when it fails.
func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > n {
		if _, err := f.Seek(-n, io.SeekEnd); err != nil {
			return fmt.Sprintf("(cannot read %s: %v)", path, err)
		}
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "(empty)"
	}
	return string(b)
}
