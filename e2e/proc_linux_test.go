package e2e_test

import (
	"os/exec"
	"syscall"
)

// setProcAttr makes the kernel kill a daemon the tests started when the test
// process dies, so that a test binary killed by `go test -timeout` leaves no
// hopd behind.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
