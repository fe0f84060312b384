// Package logfile writes hopd's log to a file in the state directory that
// rotates by size.
package logfile

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"

	"github.com/hopd/hopd/internal/filetrust"
)

// Defaults for the daemon's log: a few megabytes are weeks of normal use,
// and four files bound the disk hopd takes however chatty it gets.
const (
	DefaultMaxBytes = 5 << 20
	DefaultKeep     = 3
)

// Writer appends to a log file and, when the next write would take the file
// past MaxBytes, renames it to PATH.1 (shifting older ones up to PATH.Keep,
// dropping the oldest) and starts a new one. It is safe for concurrent use.
//
// Each Write goes to the file in one write call on a file opened with
// O_APPEND, so a process killed at any moment leaves at worst a missing
// line, never a record cut in two by another.
type Writer struct {
	path     string
	maxBytes int64
	keep     int

	mu     sync.Mutex
	f      *os.File // nil after a failed rotation, until a Write reopens it
	size   int64
	closed bool
}

// Open opens (creating, mode 0600) the log file at path. maxBytes <= 0 means
// DefaultMaxBytes; keep < 1 means DefaultKeep.
func Open(path string, maxBytes int64, keep int) (*Writer, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if keep < 1 {
		keep = DefaultKeep
	}
	w := &Writer{path: path, maxBytes: maxBytes, keep: keep}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

// Path is the file being written.
func (w *Writer) Path() string { return w.path }

func (w *Writer) open() error {
	f, err := filetrust.OpenFile(w.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	var untrusted *filetrust.UntrustedError
	if errors.As(err, &untrusted) {
		return err
	}
	if err != nil {
		return fmt.Errorf("opening the log file: %w (check the state directory's permissions)", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("opening the log file: %w", err)
	}
	w.f, w.size = f, fi.Size()
	return nil
}

// Write appends p, rotating first when p would not fit.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, os.ErrClosed
	}
	if w.f == nil {
		if err := w.open(); err != nil {
			return 0, err
		}
	}
	if w.size > 0 && w.size+int64(len(p)) > w.maxBytes {
		if err := w.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := w.f.Write(p)
	w.size += int64(n)
	return n, err
}

// rotate shifts the files and starts a new one. When a rename fails (a
// file held open by a viewer on Windows, say) it goes on appending to the
// current file: losing log lines would be worse than a big file.
func (w *Writer) rotate() error {
	// Windows cannot rename an open file.
	w.f.Close()
	w.f = nil
	for i := w.keep - 1; i >= 1; i-- {
		from := w.path + "." + strconv.Itoa(i)
		if _, err := os.Stat(from); err == nil {
			_ = os.Rename(from, w.path+"."+strconv.Itoa(i+1))
		}
	}
	_ = os.Rename(w.path, w.path+".1")
	return w.open()
}

// Close closes the file. Writes after Close fail with os.ErrClosed.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.f == nil {
		w.closed = true
		return nil
	}
	err := w.f.Close()
	w.f, w.closed = nil, true
	return err
}
