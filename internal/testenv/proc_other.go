//go:build !linux

package testenv

import "os/exec"

// setProcAttr does nothing here: process groups and parent-death signals are
// Linux features this package relies on only where hopd's tests run.
func setProcAttr(cmd *exec.Cmd) {}

// killTree kills the child itself.
func killTree(cmd *exec.Cmd) {
	_ = cmd.Process.Kill()
}
