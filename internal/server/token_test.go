package server

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/hopd/hopd/internal/api"
)

func TestLoadOrCreateToken(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "hopd")
	tok, err := LoadOrCreateToken(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != 64 || strings.Trim(tok, "0123456789abcdef") != "" {
		t.Errorf("token %q is not 32 bytes of hex", tok)
	}
	b, err := os.ReadFile(api.StateDir(dir).TokenFile())
	if err != nil || string(b) != tok {
		t.Errorf("file holds %q (%v), want the token without a newline", b, err)
	}
	if runtime.GOOS != "windows" {
		for path, want := range map[string]os.FileMode{dir: 0o700, api.StateDir(dir).TokenFile(): 0o600} {
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
				t.Errorf("%s: mode %v (%v), want %v", path, fi.Mode().Perm(), err, want)
			}
		}
	}
	again, err := LoadOrCreateToken(dir)
	if err != nil || again != tok {
		t.Errorf("second start: %q, %v; want the same token", again, err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("state dir holds %d entries, want only the token (no temp files)", len(ents))
	}
}

func TestLoadOrCreateTokenRefuses(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		wantMsg string
	}{
		{"world-readable", func(t *testing.T, path string) { chmod(t, path, 0o644) }, "chmod 600"},
		{"group-readable", func(t *testing.T, path string) { chmod(t, path, 0o640) }, "other users"},
		{"damaged", func(t *testing.T, path string) { write(t, path, "short") }, "damaged"},
		{"empty", func(t *testing.T, path string) { write(t, path, "") }, "empty"},
		{"symlink", func(t *testing.T, path string) {
			os.Remove(path)
			if err := os.Symlink("/etc/hostname", path); err != nil {
				t.Fatal(err)
			}
		}, "regular"},
		{"someone else's", func(t *testing.T, path string) {
			if os.Getuid() != 0 {
				t.Skip("only root can give a file away")
			}
			if err := os.Chown(path, 4242, -1); err != nil {
				t.Fatal(err)
			}
		}, "uid 4242"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := LoadOrCreateToken(dir); err != nil {
				t.Fatal(err)
			}
			path := api.StateDir(dir).TokenFile()
			tt.prepare(t, path)
			_, err := LoadOrCreateToken(dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), path) {
				t.Errorf("err = %v, want one naming %s and saying %q", err, path, tt.wantMsg)
			}
		})
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
