package api

import "path/filepath"

// StateDir is hopd's state directory (config.StateDir finds it). Its
// methods name the files in it, so that the daemon that writes them and
// the commands that read them agree.
type StateDir string

// TokenFile holds the bearer token for the ECS endpoint and the control
// API (mode 0600).
func (d StateDir) TokenFile() string { return d.file("token") }

// DaemonFile is where a running daemon says where it listens (a Daemon).
func (d StateDir) DaemonFile() string { return d.file("daemon.json") }

// PIDFile holds the running daemon's pid from before DaemonFile exists,
// for a second hopd to name.
func (d StateDir) PIDFile() string { return d.file("hopd.pid") }

// LockFile is held by the running daemon, so only one runs per directory.
func (d StateDir) LockFile() string { return d.file("hopd.lock") }

// LogFile is the daemon's log, rotated beside itself.
func (d StateDir) LogFile() string { return d.file("hopd.log") }

// LaunchdLogFile catches a LaunchAgent's stdout and stderr on macOS, what
// happens before hopd opens LogFile.
func (d StateDir) LaunchdLogFile() string { return d.file("launchd.log") }

// DiscoveryCacheFile keeps the last listing of the organization's
// accounts, so that they are there at start without waiting on AWS.
func (d StateDir) DiscoveryCacheFile() string { return d.file("discovered-accounts.json") }

// SSOCacheFile holds the accounts and roles last listed from IAM
// Identity Center (no tokens: those are in the keychain).
func (d StateDir) SSOCacheFile() string { return d.file("sso-accounts.json") }

// ConsoleRecentFile lists the console services the user opened last, for
// the tray's "Open console at" submenu.
func (d StateDir) ConsoleRecentFile() string { return d.file("console-recent.json") }

func (d StateDir) file(name string) string { return filepath.Join(string(d), name) }

// Daemon is what a running daemon writes to DaemonFile so that other
// commands can find it without parsing the config.
type Daemon struct {
	PID    int    `json:"pid"`
	Listen string `json:"listen"`
	// Config is the absolute path of the daemon's config file, so that a
	// command given another --config can say it is not the one in force.
	Config string `json:"config,omitempty"`
}
