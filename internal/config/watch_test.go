package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const waitFor = 5 * time.Second

// watched is a Watcher running on a file in a temporary directory, with what
// it reports sent to channels.
type watched struct {
	path     string
	changes  chan *Config
	errs     chan error
	reloaded chan struct{}
}

var (
	oneAccount  = header + lines(`[[account]]`, `name = "production"`, `id = "222222222222"`)
	twoAccounts = oneAccount + lines(`[[account]]`, `name = "staging"`, `id = "333333333333"`)
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// replaceFile replaces path atomically, the way many editors save, so that
// the watcher never sees it half-written.
func replaceFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	writeFile(t, tmp, content)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// startWatcher writes content to a new file, watches it and waits until the
// watch is set up.
func startWatcher(t *testing.T, content string) *watched {
	t.Helper()
	w := &watched{
		path:     filepath.Join(t.TempDir(), "config.toml"),
		changes:  make(chan *Config, 100),
		errs:     make(chan error, 100),
		reloaded: make(chan struct{}, 100),
	}
	writeFile(t, w.path, content)
	w.run(t, w.path, nil)
	if c := w.wantChange(t); len(c.Accounts) != strings.Count(content, "[[account]]") {
		t.Fatalf("initial config has %d accounts", len(c.Accounts))
	}
	w.waitReload(t)
	return w
}

func (w *watched) run(t *testing.T, path string, initial *Config) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	wt := &Watcher{
		Path:     path,
		Initial:  initial,
		OnChange: func(c *Config) { w.changes <- c },
		OnError:  func(err error) { w.errs <- err },
		Debounce: 30 * time.Millisecond,
		reloaded: func() { w.reloaded <- struct{}{} },
	}
	done := make(chan error, 1)
	go func() { done <- wt.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(waitFor):
			t.Error("Run did not return when its context was done")
		}
	})
}

// wantChange waits for a new configuration. Errors on the way are logged
// only: a reload may catch an editor half-way through writing.
func (w *watched) wantChange(t *testing.T) *Config {
	t.Helper()
	timeout := time.After(waitFor)
	for {
		select {
		case c := <-w.changes:
			return c
		case err := <-w.errs:
			t.Logf("error while waiting for a change: %v", err)
		case <-timeout:
			t.Fatal("no change reported")
			return nil
		}
	}
}

func (w *watched) wantError(t *testing.T) *Error {
	t.Helper()
	select {
	case err := <-w.errs:
		var cerr *Error
		if !errors.As(err, &cerr) {
			t.Fatalf("error %T %v is not a *Error", err, err)
		}
		checkOneLine(t, err)
		return cerr
	case c := <-w.changes:
		t.Fatalf("change reported, want an error: %+v", c)
	case <-time.After(waitFor):
		t.Fatal("no error reported")
	}
	return nil
}

func (w *watched) waitReload(t *testing.T) {
	t.Helper()
	select {
	case <-w.reloaded:
	case <-time.After(waitFor):
		t.Fatal("the file was not read")
	}
}

func TestWatchEditInPlace(t *testing.T) {
	w := startWatcher(t, oneAccount)
	writeFile(t, w.path, twoAccounts)
	if c := w.wantChange(t); len(c.Accounts) != 2 || c.Path != w.path {
		t.Errorf("got %+v, want two accounts", c)
	}
}

func TestWatchAtomicReplace(t *testing.T) {
	w := startWatcher(t, oneAccount)
	tmp := filepath.Join(filepath.Dir(w.path), ".config.toml.swp")
	writeFile(t, tmp, twoAccounts)
	if err := os.Rename(tmp, w.path); err != nil {
		t.Fatal(err)
	}
	if c := w.wantChange(t); len(c.Accounts) != 2 {
		t.Errorf("got %+v, want two accounts", c)
	}
}

func TestWatchBadThenGoodEdit(t *testing.T) {
	w := startWatcher(t, oneAccount)
	replaceFile(t, w.path, header+lines(`[[account]]`, `name = "production"`, `id = "22222222222"`))
	if err := w.wantError(t); err.Line != 5 || err.Field != `account "production" id` {
		t.Errorf("got %v, want the bad id on line 5", err)
	}
	writeFile(t, w.path, twoAccounts)
	if c := w.wantChange(t); len(c.Accounts) != 2 {
		t.Errorf("got %+v, want two accounts", c)
	}
}

func TestWatchFixBackToLastGood(t *testing.T) {
	// After an error, the good config comes again even if unchanged, so
	// that the caller can stop showing the error.
	w := startWatcher(t, oneAccount)
	replaceFile(t, w.path, "[user\n")
	w.wantError(t)
	writeFile(t, w.path, oneAccount)
	w.wantChange(t)
}

func TestWatchDelete(t *testing.T) {
	w := startWatcher(t, oneAccount)
	if err := os.Remove(w.path); err != nil {
		t.Fatal(err)
	}
	err := w.wantError(t)
	if !strings.Contains(err.Msg, "removed") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v, want the file reported removed", err)
	}
	writeFile(t, w.path, twoAccounts)
	if c := w.wantChange(t); len(c.Accounts) != 2 {
		t.Errorf("got %+v, want two accounts", c)
	}
}

func TestWatchIdenticalRewrite(t *testing.T) {
	w := startWatcher(t, oneAccount)
	replaceFile(t, w.path, oneAccount)
	w.waitReload(t)
	// OnChange runs before the reload is over, so it would be here now.
	select {
	case c := <-w.changes:
		t.Errorf("identical rewrite reported as a change: %+v", c)
	case err := <-w.errs:
		t.Errorf("identical rewrite reported an error: %v", err)
	default:
	}
}

func TestWatchInitial(t *testing.T) {
	w := &watched{
		path:     filepath.Join(t.TempDir(), "config.toml"),
		changes:  make(chan *Config, 100),
		errs:     make(chan error, 100),
		reloaded: make(chan struct{}, 100),
	}
	writeFile(t, w.path, oneAccount)
	initial, err := Load(w.path)
	if err != nil {
		t.Fatal(err)
	}
	w.run(t, w.path, initial)
	w.waitReload(t)
	select {
	case c := <-w.changes:
		t.Errorf("unchanged file reported on start: %+v", c)
	default:
	}
	writeFile(t, w.path, twoAccounts)
	if c := w.wantChange(t); len(c.Accounts) != 2 {
		t.Errorf("got %+v, want two accounts", c)
	}
}

func TestWatchSymlink(t *testing.T) {
	dotfiles := filepath.Join(t.TempDir(), "config.toml")
	writeFile(t, dotfiles, oneAccount)
	link := filepath.Join(t.TempDir(), "config.toml")
	if err := os.Symlink(dotfiles, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	w := &watched{changes: make(chan *Config, 100), errs: make(chan error, 100), reloaded: make(chan struct{}, 100)}
	w.run(t, link, nil)
	w.wantChange(t)
	writeFile(t, dotfiles, twoAccounts)
	if c := w.wantChange(t); len(c.Accounts) != 2 || c.Path != link {
		t.Errorf("got %+v, want two accounts from %s", c, link)
	}
}

func TestWatchMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope", "config.toml")
	err := Watch(context.Background(), path, func(*Config) {}, func(error) {})
	if err == nil {
		t.Fatal("Watch succeeded on a missing directory")
	}
}

func TestWatchReturnsWhenDone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	writeFile(t, path, oneAccount)
	ctx, cancel := context.WithCancel(context.Background())
	changed := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() { done <- Watch(ctx, path, func(*Config) { changed <- struct{}{} }, nil) }()
	select {
	case <-changed:
	case <-time.After(waitFor):
		t.Fatal("Watch did not report the initial config")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Watch = %v, want nil", err)
		}
	case <-time.After(waitFor):
		t.Fatal("Watch did not return")
	}
}
