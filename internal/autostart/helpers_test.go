package autostart

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// testManager is a Manager for goos in a temporary HOME, whose helper
// commands (systemctl, launchctl) are recorded instead of run, and whose
// Windows registry is an in-memory Run key.
type testManager struct {
	*Manager
	root string
	reg  *memRunKey

	mu       sync.Mutex
	commands []string
	fail     map[string]error // command prefix -> error
}

func newTestManager(t *testing.T, goos, exe string) *testManager {
	t.Helper()
	root := t.TempDir()
	home := filepath.Join(root, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	tm := &testManager{root: root, reg: &memRunKey{values: map[string]string{}}, fail: map[string]error{}}
	tm.Manager = &Manager{
		goos:       goos,
		home:       home,
		configHome: filepath.Join(home, ".config"),
		configDirs: []string{filepath.Join(root, "etc", "xdg")},
		exe:        exe,
		uid:        501,
		run:        tm.record,
		lookPath:   func(string) (string, error) { return "", errors.New("not on PATH in this test") },
		reg:        tm.reg,
	}
	return tm
}

func (tm *testManager) record(_ context.Context, name string, args ...string) error {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	cmd := strings.Join(append([]string{name}, args...), " ")
	tm.commands = append(tm.commands, cmd)
	for prefix, err := range tm.fail {
		if strings.HasPrefix(cmd, prefix) {
			return err
		}
	}
	return nil
}

// memRunKey is an in-memory Run key: a unit-test stand-in for the
// registry, which only exists on Windows.
type memRunKey struct {
	values map[string]string
}

func (k *memRunKey) Get(name string) (string, bool, error) {
	v, ok := k.values[name]
	return v, ok, nil
}

func (k *memRunKey) Set(name, value string) error { k.values[name] = value; return nil }

func (k *memRunKey) Delete(name string) error { delete(k.values, name); return nil }

// fakeHopd creates an executable file standing in for hopd in dir.
func fakeHopd(t *testing.T, dir, script string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "hopd")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// snapshot maps every file and symlink under root to its content or link
// target, so that two snapshots show exactly what changed.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	snap := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(path)
			snap[rel] = "-> " + target
			return err
		}
		data, err := os.ReadFile(path)
		snap[rel] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// changed lists the paths whose content differs between two snapshots.
func changed(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
