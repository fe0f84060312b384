package bench

import (
	"os/exec"
	"syscall"
)

// setProcAttr makes the kernel kill a daemon the benchmarks started when
// the benchmark process dies, so that none is left behind.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
