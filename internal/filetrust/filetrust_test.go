//go:build unix

package filetrust_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hopd/hopd/internal/filetrust"
)

func TestStateDir(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode os.FileMode
		want string // "" for trusted
	}{
		{"private", 0o700, ""},
		{"readable by others", 0o755, ""},
		{"group-writable", 0o770, "mode 0770"},
		{"world-writable", 0o777, "mode 0777"},
		{"sticky and world-writable", 0o777 | os.ModeSticky, "mode 0777"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tc.mode); err != nil {
				t.Fatal(err)
			}
			err := filetrust.StateDir(dir)
			checkErr(t, err, tc.want, dir)
			if tc.want != "" && !strings.Contains(err.Error(), "chmod 700 "+dir) {
				t.Errorf("error %q does not say how to fix it", err)
			}
		})
	}
	t.Run("not a directory", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		checkErr(t, filetrust.StateDir(f), "not a directory", f)
	})
}

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		mode os.FileMode
		want string
	}{
		{0o600, ""},
		{0o644, ""},
		{0o664, "mode 0664"},
		{0o666, "mode 0666"},
		{0o646, "mode 0646"},
	} {
		path := filepath.Join(t.TempDir(), "config.toml")
		if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, tc.mode); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		err = filetrust.Config(path, f)
		f.Close()
		checkErr(t, err, tc.want, path)
	}
}

func TestOpenFileRefusesALink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	if err := os.WriteFile(target, []byte("theirs"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "hopd.log")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	f, err := filetrust.OpenFile(link, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err == nil {
		f.Close()
		t.Fatal("opened a file through a symbolic link")
	}
	checkErr(t, err, "symbolic link", link)
	if _, err := filetrust.ReadFile(link); err == nil {
		t.Error("ReadFile read through a symbolic link")
	}
	if got, _ := os.ReadFile(target); string(got) != "theirs" {
		t.Errorf("the link's target changed: %q", got)
	}
	// A plain file opens, and a missing one is still fs.ErrNotExist for
	// callers that treat it as empty.
	if _, err := filetrust.ReadFile(target); err != nil {
		t.Errorf("ReadFile of a plain file: %v", err)
	}
	if _, err := filetrust.ReadFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile of a missing file: %v, want ErrNotExist", err)
	}
}

func checkErr(t *testing.T, err error, want, path string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Errorf("%s refused: %v", path, err)
		}
		return
	}
	var u *filetrust.UntrustedError
	if !errors.As(err, &u) {
		t.Fatalf("%s: got %v, want an UntrustedError saying %q", path, err, want)
	}
	if msg := err.Error(); !strings.Contains(msg, want) || !strings.Contains(msg, path) || strings.Contains(msg, "\n") {
		t.Errorf("error %q: want one line naming %s and saying %q", msg, path, want)
	}
}
