package testenv

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts the child in its own process group, so killTree reaches
// anything it forks, and asks the kernel to kill it when the test process
// dies: a test binary killed by `go test -timeout` must not leave daemons
// behind. (Pdeathsig fires when the thread that started the child exits;
// the Go runtime does not retire threads that are not locked, so in practice
// this is the process exiting.)
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killTree kills the child's whole process group.
func killTree(cmd *exec.Cmd) {
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		_ = cmd.Process.Kill()
	}
}
