package autostart

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hopd/hopd/internal/atomicfile"
)

// marker is in every file hopd writes, so that hopd never overwrites or
// removes a file a person or a package wrote.
const marker = "Written by `hopd autostart enable`; `hopd autostart disable` removes it."

// readOurs reads path: data is nil when there is no file; ours says whether
// hopd wrote it.
func readOurs(path string) (data []byte, ours bool, err error) {
	data, err = os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading the autostart entry: %w", err)
	}
	return data, bytes.Contains(data, []byte(marker)), nil
}

// writeOurs replaces path with data atomically (temp file and rename), so
// that a login at the wrong moment never reads half an entry. It refuses to
// replace a file hopd did not write.
func writeOurs(path string, data []byte) error {
	old, ours, err := readOurs(path)
	if err != nil {
		return err
	}
	if old != nil && !ours {
		return fmt.Errorf("%s exists and was not written by hopd: move it away, then run `hopd autostart enable` again", path)
	}
	if bytes.Equal(old, data) {
		return nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s for the autostart entry: %w", dir, err)
	}
	// Login managers and launchd read these; launchd refuses files that
	// others can write.
	if err := atomicfile.Write(path, data, 0o644); err != nil {
		return fmt.Errorf("writing the autostart entry: %w", err)
	}
	return nil
}

// removeOurs removes path if hopd wrote it. A missing file is fine; a file
// hopd did not write is an error that says so.
func removeOurs(path string) error {
	data, ours, err := readOurs(path)
	if err != nil || data == nil {
		return err
	}
	if !ours {
		return fmt.Errorf("%s was not written by hopd, so hopd leaves it: remove it yourself if hopd should not start at login", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the autostart entry: %w", err)
	}
	return nil
}
