package main

import (
	"fmt"
	"os"

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
	return client.New(dir)
}
