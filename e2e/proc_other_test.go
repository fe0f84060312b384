//go:build !linux

package e2e_test

import "os/exec"

// setProcAttr does nothing where parent-death signals do not exist.
func setProcAttr(cmd *exec.Cmd) {}
