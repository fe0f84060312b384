package config

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
)

// DefaultPath is the configuration file to use when none is given on the
// command line: $HOPD_CONFIG, else hopd/config.toml in the user's
// configuration directory.
func DefaultPath() (string, error) {
	if p := os.Getenv("HOPD_CONFIG"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "hopd", "config.toml"), nil
}

// StateDir is where hopd keeps its token file, lock, log and caches:
// $HOPD_STATE_DIR, else the platform's place for per-user state. It does not
// create the directory.
func StateDir() (string, error) {
	if d := os.Getenv("HOPD_STATE_DIR"); d != "" {
		return d, nil
	}
	return DefaultStateDir()
}

// DefaultStateDir is the platform's place for hopd's state, whatever
// $HOPD_STATE_DIR says: a credential_process line names any other state
// directory, since tools run it without the shell's HOPD_STATE_DIR.
func DefaultStateDir() (string, error) {
	return stateDir(runtime.GOOS, os.Getenv, os.UserHomeDir)
}

// stateDir takes the platform and environment as arguments so that tests can
// cover every platform from one.
func stateDir(goos string, getenv func(string) string, home func() (string, error)) (string, error) {
	if goos == "windows" {
		d := getenv("LocalAppData")
		if d == "" {
			return "", errors.New("%LocalAppData% is not set; set HOPD_STATE_DIR to choose where hopd keeps its state")
		}
		return filepath.Join(d, "hopd"), nil
	}
	// The XDG spec says to ignore relative paths.
	if d := getenv("XDG_STATE_HOME"); goos != "darwin" && d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "hopd"), nil
	}
	h, err := home()
	if err != nil {
		return "", errors.New("cannot find the home directory (" + err.Error() + "); set HOPD_STATE_DIR to choose where hopd keeps its state")
	}
	if goos == "darwin" {
		return filepath.Join(h, "Library", "Application Support", "hopd", "state"), nil
	}
	return filepath.Join(h, ".local", "state", "hopd"), nil
}
