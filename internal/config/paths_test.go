package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestDefaultPath(t *testing.T) {
	t.Setenv("HOPD_CONFIG", "/etc/hopd.toml")
	if p, err := DefaultPath(); err != nil || p != "/etc/hopd.toml" {
		t.Errorf("with HOPD_CONFIG: %q, %v", p, err)
	}
	t.Setenv("HOPD_CONFIG", "")
	dir, err := os.UserConfigDir()
	if err != nil {
		t.Skip("no user configuration directory here:", err)
	}
	if p, err := DefaultPath(); err != nil || p != filepath.Join(dir, "hopd", "config.toml") {
		t.Errorf("default: %q, %v", p, err)
	}
}

func TestStateDirEnv(t *testing.T) {
	t.Setenv("HOPD_STATE_DIR", "/var/lib/hopd")
	if d, err := StateDir(); err != nil || d != "/var/lib/hopd" {
		t.Errorf("with HOPD_STATE_DIR: %q, %v", d, err)
	}
}

func TestStateDirPlatforms(t *testing.T) {
	home := func() (string, error) { return "/home/m", nil }
	noHome := func() (string, error) { return "", errors.New("$HOME is not defined") }
	tests := []struct {
		goos    string
		env     map[string]string
		home    func() (string, error)
		want    string
		wantErr bool
	}{
		{"linux", nil, home, filepath.Join("/home/m", ".local", "state", "hopd"), false},
		{"linux", map[string]string{"XDG_STATE_HOME": "/xdg"}, home, filepath.Join("/xdg", "hopd"), false},
		{"linux", map[string]string{"XDG_STATE_HOME": "relative"}, home, filepath.Join("/home/m", ".local", "state", "hopd"), false},
		{"freebsd", nil, home, filepath.Join("/home/m", ".local", "state", "hopd"), false},
		{"darwin", map[string]string{"XDG_STATE_HOME": "/xdg"}, home, filepath.Join("/home/m", "Library", "Application Support", "hopd", "state"), false},
		{"windows", map[string]string{"LocalAppData": "/appdata"}, home, filepath.Join("/appdata", "hopd"), false},
		{"windows", nil, home, "", true},
		{"linux", nil, noHome, "", true},
	}
	for _, tt := range tests {
		getenv := func(k string) string { return tt.env[k] }
		got, err := stateDir(tt.goos, getenv, tt.home)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("%s %v: got %q, %v; want %q (error: %v)", tt.goos, tt.env, got, err, tt.want, tt.wantErr)
		}
	}
}
