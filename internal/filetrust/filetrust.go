// Package filetrust refuses files and directories that another user could
// have written, as ssh's StrictModes does, and opens state files without
// following links.
package filetrust

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/hopd/hopd/internal/peercred"
)

// UntrustedError says which path hopd will not trust, why, and what to do.
type UntrustedError struct {
	What string // "the state directory", or "" when the path says enough
	Path string
	Why  string // "can be written by other users (mode 0777)"
	Fix  string // "run `chmod 700 /path`"
}

func (e *UntrustedError) Error() string {
	s := e.Path + " " + e.Why + "; " + e.Fix
	if e.What != "" {
		s = e.What + " " + s
	}
	return s
}

// ErrLink is the cause when a file in the state directory is a symbolic
// link: something other than hopd put it there.
var ErrLink = errors.New("is a symbolic link")

// OpenFile opens a file in the state directory like os.OpenFile, but never
// through a symbolic link: a link planted there would have hopd append its
// log to, or read its token from, a file of someone else's choosing.
func OpenFile(path string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flag|NoFollow, perm)
	if err != nil && isLinkError(path, err) {
		return nil, &UntrustedError{Path: path, Why: "is a symbolic link, which hopd does not follow in its state directory", Fix: "remove it (`rm " + path + "`) and start hopd again"}
	}
	return f, err
}

// ReadFile reads a file in the state directory, refusing a symbolic link.
func ReadFile(path string) ([]byte, error) {
	f, err := OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// StateDir checks that dir is a directory of this user's that no one else
// can write into: another user who can would plant files there, and hopd
// trusts what it finds there (its token, its caches, where it logs).
func StateDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("checking the state directory: %w", err)
	}
	if !fi.IsDir() {
		return &UntrustedError{What: "the state directory", Path: dir, Why: "is not a directory", Fix: "remove it, or set HOPD_STATE_DIR to a directory of your own"}
	}
	if owner, ok := ownerOf(fi); ok && owner != os.Getuid() {
		return &UntrustedError{What: "the state directory", Path: dir, Why: fmt.Sprintf("belongs to %s, not to you (uid %d)", peercred.UserName(owner), os.Getuid()),
			Fix: "remove it so hopd creates its own, or set HOPD_STATE_DIR to a directory of your own"}
	}
	if perm := fi.Mode().Perm(); groupOrOtherWritable(perm) {
		return &UntrustedError{What: "the state directory", Path: dir, Why: fmt.Sprintf("can be written by other users (mode %04o)", perm),
			Fix: "run `chmod 700 " + dir + "`"}
	}
	return nil
}

// Config checks the config file f (opened at path) before hopd acts on
// it: the config names commands hopd runs (browser, mfa_process) and
// where it signs in, so a file another user can change is theirs to
// command. Root may own it (a file a system manager links into place);
// no one else but the user.
func Config(path string, f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if owner, ok := ownerOf(fi); ok && owner != os.Getuid() && owner != 0 {
		return &UntrustedError{Path: path, Why: fmt.Sprintf("belongs to %s, not to you (uid %d), and hopd runs the commands it names", peercred.UserName(owner), os.Getuid()),
			Fix: "copy it to a file of your own and use that"}
	}
	if perm := fi.Mode().Perm(); groupOrOtherWritable(perm) {
		return &UntrustedError{Path: path, Why: fmt.Sprintf("can be written by other users (mode %04o), and hopd runs the commands it names", perm),
			Fix: "run `chmod go-w " + path + "`"}
	}
	return nil
}
