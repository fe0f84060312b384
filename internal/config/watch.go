package config

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"reflect"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultDebounce is how long a Watcher waits after the last change to the
// file before reading it: editors often write a file in several steps.
const DefaultDebounce = 100 * time.Millisecond

// Watcher reloads a configuration file when it changes.
//
// It watches the file's directory rather than the file, so that it keeps
// working when an editor replaces the file (write a temporary file, rename
// it over) or removes and re-creates it. When the path is a symbolic link,
// the directory of its target is watched too.
type Watcher struct {
	Path string

	// Initial is the configuration the caller runs with, if any. Run loads
	// the file once when it starts and reports it through OnChange if it
	// differs (always, when Initial is nil), so that edits made before the
	// watch started are not lost.
	Initial *Config

	// OnChange gets every valid configuration that differs from the last
	// valid one, and the first valid one after an error even if it is the
	// same, so that the caller can clear the error it shows.
	OnChange func(*Config)

	// OnError gets a *Error when the file is invalid, unreadable or removed;
	// the caller should keep using the last good configuration.
	OnError func(error)

	// Debounce overrides DefaultDebounce when positive.
	Debounce time.Duration

	reloaded func() // for tests: called after each look at the file
}

// Watch runs a Watcher for path without an initial configuration until ctx
// is done. See Watcher.
func Watch(ctx context.Context, path string, onChange func(*Config), onError func(error)) error {
	w := &Watcher{Path: path, OnChange: onChange, OnError: onError}
	return w.Run(ctx)
}

// Run watches the file until ctx is done, calling OnChange and OnError from
// its own goroutine, one call at a time. It returns nil when ctx is done, or
// an error if it cannot watch the file's directory.
func (w *Watcher) Run(ctx context.Context) error {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("cannot watch %s for changes: %w", w.Path, err)
	}
	defer fw.Close()

	s := &watchState{w: w, fw: fw, dirs: map[string]bool{}, last: w.Initial, changed: w.Initial == nil}
	if err := s.track(); err != nil {
		return err
	}
	debounce := w.Debounce
	if debounce <= 0 {
		debounce = DefaultDebounce
	}
	timer := time.NewTimer(debounce)
	timer.Stop()
	defer timer.Stop()

	s.reload()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-fw.Events:
			if !ok {
				return fmt.Errorf("stopped watching %s for changes", w.Path)
			}
			if s.files[filepath.Clean(ev.Name)] {
				timer.Reset(debounce)
			}
		case err, ok := <-fw.Errors:
			if !ok {
				return fmt.Errorf("stopped watching %s for changes", w.Path)
			}
			// Events may have been lost (like on a queue overflow): look
			// at the file again.
			s.report(&Error{File: w.Path, Msg: "watching for changes failed (" + err.Error() + "); checking the file again", cause: err})
			timer.Reset(debounce)
		case <-timer.C:
			s.reload()
			if err := s.track(); err != nil {
				s.report(&Error{File: w.Path, Msg: err.Error(), cause: err})
			}
		}
	}
}

// watchState is what one Run knows.
type watchState struct {
	w       *Watcher
	fw      *fsnotify.Watcher
	dirs    map[string]bool // directories being watched
	files   map[string]bool // paths whose events matter
	last    *Config         // the last good configuration
	changed bool            // report the next good configuration even if equal to last
}

// track watches the file's directory, and that of its target if it is a
// symbolic link; the target may change between reloads.
func (s *watchState) track() error {
	abs, err := filepath.Abs(s.w.Path)
	if err != nil {
		return fmt.Errorf("cannot watch for changes: %w", err)
	}
	files := map[string]bool{abs: true}
	if target, err := filepath.EvalSymlinks(abs); err == nil {
		files[target] = true
	}
	for f := range files {
		dir := filepath.Dir(f)
		if s.dirs[dir] {
			continue
		}
		if err := s.fw.Add(dir); err != nil {
			return fmt.Errorf("cannot watch %s for changes to %s: %w", dir, f, err)
		}
		s.dirs[dir] = true
	}
	s.files = files
	return nil
}

func (s *watchState) reload() {
	if s.w.reloaded != nil {
		defer s.w.reloaded()
	}
	c, err := Load(s.w.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = &Error{File: s.w.Path, Msg: "config file removed; keeping the last good config", cause: err}
		}
		s.changed = true
		s.report(err)
		return
	}
	if !s.changed && reflect.DeepEqual(c, s.last) {
		return
	}
	s.last, s.changed = c, false
	if s.w.OnChange != nil {
		s.w.OnChange(c)
	}
}

func (s *watchState) report(err error) {
	if s.w.OnError != nil {
		s.w.OnError(err)
	}
}
