//go:build unix

package client

import (
	"errors"
	"syscall"
)

// alive reports whether a process with this pid exists. EPERM means it
// does, as another user's.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
