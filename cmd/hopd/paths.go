package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hopd/hopd/internal/client"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/filetrust"
)

func (g *globals) config() (string, error) {
	if g.configPath != "" {
		return g.configPath, nil
	}
	return config.DefaultPath()
}

func (g *globals) state() (string, error) {
	if g.stateDir != "" {
		return g.stateDir, nil
	}
	dir, err := config.StateDir()
	if err != nil {
		return "", fmt.Errorf("finding the state directory: %w (set HOPD_STATE_DIR)", err)
	}
	return dir, nil
}

// ensureState creates the state directory, private to this user.
func (g *globals) ensureState() (string, error) {
	dir, err := g.state()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the state directory: %w", err)
	}
	if err := filetrust.StateDir(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// client connects to the running daemon.
func (g *globals) client() (*client.Client, error) {
	dir, err := g.state()
	if err != nil {
		return nil, err
	}
	c, err := client.New(dir)
	if err != nil {
		return nil, err
	}
	if g.configPath != "" && c.Config != "" && !samePath(g.configPath, c.Config) {
		return nil, fmt.Errorf("--config %s is not the config of the running hopd (%s): drop --config, or start a hopd of its own for it (hopd serve --config %s --state-dir DIR)", g.configPath, c.Config, g.configPath)
	}
	return c, nil
}

// orAbs is path made absolute, or path when it cannot be.
func orAbs(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// samePath reports whether two paths name one file, through symbolic links.
func samePath(a, b string) bool {
	if orAbs(a) == orAbs(b) {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}
