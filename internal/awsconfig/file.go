package awsconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hopd/hopd/internal/atomicfile"
)

// Path is the shared config file the AWS CLI and SDKs read:
// $AWS_CONFIG_FILE (with a leading ~ expanded, as they do), else
// ~/.aws/config.
func Path() (string, error) {
	home, herr := os.UserHomeDir()
	if p := os.Getenv("AWS_CONFIG_FILE"); p != "" {
		if p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`) {
			if herr != nil {
				return "", fmt.Errorf("AWS_CONFIG_FILE starts with ~ but the home directory is unknown (%v): set it to an absolute path", herr)
			}
			p = filepath.Join(home, p[1:])
		}
		return filepath.Abs(p)
	}
	if herr != nil {
		return "", fmt.Errorf("cannot find the home directory (%v): set AWS_CONFIG_FILE to the AWS config file", herr)
	}
	return filepath.Join(home, ".aws", "config"), nil
}

// BackupSuffix is added to the file's name for the copy taken before each
// change.
const BackupSuffix = ".hopd-backup"

// Result says what Update did.
type Result struct {
	Path    string // the file written: the target when the path is a symbolic link
	Changed bool
	Backup  string // the copy of the old file, "" when there was none
}

// Update reads the file at path (a missing file is empty), applies edit,
// and when the content changes, copies the old file to path+BackupSuffix
// and replaces the file atomically, keeping its mode. A symbolic link (a
// dotfiles repository, say) is followed and stays a link.
func Update(path string, edit func([]byte) ([]byte, error)) (Result, error) {
	target, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		target, err = path, nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("reading %s: %w", path, err)
	}
	r := Result{Path: target}
	mode := fs.FileMode(0o600)
	old, err := os.ReadFile(target)
	exists := err == nil
	switch {
	case exists:
		if fi, err := os.Stat(target); err == nil {
			mode = fi.Mode().Perm()
		}
	case !errors.Is(err, fs.ErrNotExist):
		return r, fmt.Errorf("reading %s: %w", target, err)
	}
	next, err := edit(old)
	if err != nil {
		return r, fmt.Errorf("%s: %w", target, err)
	}
	if exists && bytes.Equal(old, next) {
		return r, nil
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return r, fmt.Errorf("creating the folder of %s: %w", target, err)
	}
	if exists {
		// The backup may hold whatever the user keeps in the file.
		r.Backup = target + BackupSuffix
		if err := atomicfile.Write(r.Backup, old, 0o600); err != nil {
			return Result{Path: target}, err
		}
	}
	if err := atomicfile.Write(target, next, mode); err != nil {
		return r, err
	}
	r.Changed = true
	return r, nil
}

// WriteNew writes data to path, creating its folder, and refuses to
// replace a file that exists: it is someone's. The file appears whole or
// not at all: it is written aside, then linked into place, which fails
// rather than replaces when the name is taken.
func WriteNew(path string, data []byte) error {
	exists := func() error {
		return fmt.Errorf("%s already exists: hopd does not overwrite it; merge the proposal into it by hand, or move it away first", path)
	}
	if _, err := os.Lstat(path); err == nil {
		return exists()
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating the folder of %s: %w", path, err)
	}
	err := atomicfile.WriteNew(path, data, 0o600)
	if errors.Is(err, atomicfile.ErrExist) {
		return exists()
	}
	return err
}
