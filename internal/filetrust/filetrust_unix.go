//go:build unix

package filetrust

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// NoFollow is the open flag that refuses a symbolic link, for openers
// (like a lock library) that take flags rather than a file.
const NoFollow = syscall.O_NOFOLLOW

// isLinkError tells a refused link from other failures: open with
// O_NOFOLLOW fails with ELOOP on a link (EMLINK on some BSDs).
func isLinkError(path string, err error) bool {
	if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK) {
		return true
	}
	fi, lerr := os.Lstat(path)
	return lerr == nil && fi.Mode()&fs.ModeSymlink != 0
}

func ownerOf(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

func groupOrOtherWritable(perm fs.FileMode) bool { return perm&0o022 != 0 }
