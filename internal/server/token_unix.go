//go:build unix

package server

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkPrivate refuses a token file that others can read or that someone
// else owns: either way the token may be known outside this user.
func checkPrivate(path string, fi fs.FileInfo) error {
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("the token file %s can be read by other users (mode %04o); run `chmod 600 %s`, or delete it and restart hopd", path, perm, path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("the token file %s belongs to uid %d, not to you (uid %d); delete it and restart hopd", path, st.Uid, os.Getuid())
	}
	return nil
}
