package awsconfig

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func set(profiles []Profile) func([]byte) ([]byte, error) {
	return func(b []byte) ([]byte, error) { return SetBlock(b, profiles) }
}

func TestUpdate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".aws", "config")

	// A missing file is created with its folder, private.
	r, err := Update(path, set(testProfiles))
	if err != nil || !r.Changed || r.Backup != "" {
		t.Fatalf("Update of a missing file = %+v, %v", r, err)
	}
	if fi, err := os.Stat(path); err != nil || runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("new file: %v, %v; want mode 0600", fi.Mode(), err)
	}

	orig := "[default]\r\nregion = eu-west-1\r\n"
	if err := os.WriteFile(path, []byte(orig), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	r, err = Update(path, set(testProfiles))
	if err != nil || !r.Changed || r.Backup != path+BackupSuffix {
		t.Fatalf("Update = %+v, %v", r, err)
	}
	if b, _ := os.ReadFile(r.Backup); string(b) != orig {
		t.Errorf("the backup holds %q; want the old file %q", b, orig)
	}
	if fi, _ := os.Stat(path); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o640 {
		t.Errorf("the file's mode changed to %v; want 0640 kept", fi.Mode())
	}

	// Nothing to change: no write, no new backup.
	os.Remove(r.Backup)
	r, err = Update(path, set(testProfiles))
	if err != nil || r.Changed || r.Backup != "" {
		t.Errorf("an idempotent Update = %+v, %v; want no change", r, err)
	}
	if _, err := os.Stat(path + BackupSuffix); !os.IsNotExist(err) {
		t.Error("an Update that changed nothing made a backup")
	}
	// Only the file and its backup are in the folder: no temporary files.
	if _, err := Update(path, set(nil)); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 2 {
		t.Errorf("the folder holds %v; want the file and its backup", entries)
	}

	// An edit that fails leaves the file alone.
	before, _ := os.ReadFile(path)
	if _, err := Update(path, func([]byte) ([]byte, error) { return nil, os.ErrInvalid }); err == nil {
		t.Error("a failing edit reported success")
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("a failing edit changed the file")
	}
}

func TestUpdateFollowsSymlinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "dotfiles", "aws-config")
	os.MkdirAll(filepath.Dir(target), 0o700)
	if err := os.WriteFile(target, []byte("[default]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "config")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	r, err := Update(link, set(testProfiles))
	if err != nil || r.Path != target {
		t.Fatalf("Update = %+v, %v; want the link's target written", r, err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced by a file (%v)", err)
	}
	if b, _ := os.ReadFile(target); !strings.Contains(string(b), "[profile hopd-staging]") {
		t.Errorf("the target holds %q", b)
	}
}

func TestWriteNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hopd", "config.toml")
	if err := WriteNew(path, []byte("a")); err != nil {
		t.Fatal(err)
	}
	err := WriteNew(path, []byte("b"))
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("WriteNew over a file = %v; want a refusal", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "a" {
		t.Errorf("the file holds %q after a refused write", b)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("WriteNew left %v", entries)
	}
}

func TestPath(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	t.Setenv("AWS_CONFIG_FILE", "")
	if p, err := Path(); err != nil || p != filepath.Join(home, ".aws", "config") {
		t.Errorf("Path() = %q, %v", p, err)
	}
	t.Setenv("AWS_CONFIG_FILE", "~/other/config")
	if p, err := Path(); err != nil || p != filepath.Join(home, "other", "config") {
		t.Errorf("Path() with ~ = %q, %v", p, err)
	}
	abs := filepath.Join(home, "x")
	t.Setenv("AWS_CONFIG_FILE", abs)
	if p, err := Path(); err != nil || p != abs {
		t.Errorf("Path() = %q, %v; want %q", p, err, abs)
	}
}
