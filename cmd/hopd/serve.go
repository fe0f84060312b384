package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"

	"github.com/gofrs/flock"
	"github.com/spf13/cobra"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/atomicfile"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/daemon"
	"github.com/hopd/hopd/internal/filetrust"
	"github.com/hopd/hopd/internal/keychain"
	"github.com/hopd/hopd/internal/logfile"
	"github.com/hopd/hopd/internal/server"
)

type serveFlags struct {
	noTray    bool
	autostart bool // started by the login entry (hopd autostart)
}

func newServeCmd(g *globals) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon (the default command)",
		Long: `Run the daemon: serve credentials on the loopback address of the config
(ECS endpoint, control API) and on each account's imds_port, refresh them
before they expire, and reload the config when the file changes.

In a desktop session it shows a tray icon whose menu opens any account's
web console; without a D-Bus session bus (or with --no-tray) it runs
without one and says so once.

Only one daemon runs per state directory: a second one says "already
running (pid N)" and exits 1, or 0 with --autostart. SIGINT or SIGTERM stops
it cleanly. The log goes to hopd.log in the state directory (rotated at
5 MB, three old files kept) and to stderr, except with --autostart when
stderr is not a terminal.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), g, f)
		},
	}
	cmd.Flags().BoolVar(&f.noTray, "no-tray", false, "run without a tray icon (headless)")
	cmd.Flags().BoolVar(&f.autostart, "autostart", false, "started at login by hopd autostart: exit 0 when hopd already runs or has no config yet, log to the state directory only")
	return cmd
}

// runServe does what only the process can: the lock, the pid and daemon
// files, the log file and the token. internal/daemon does the rest.
func runServe(ctx context.Context, g *globals, f serveFlags) error {
	log, err := newLogger(g.logLevel, os.Stderr)
	if err != nil {
		return err
	}
	path, err := g.config()
	if err != nil {
		return err
	}
	cfg, err := config.Load(path)
	if err != nil {
		if f.autostart && errors.Is(err, fs.ErrNotExist) {
			// Installed (perhaps by a package for every user) but not
			// set up: nothing to serve, and nothing to restart.
			log.Info("no config file yet, so nothing to serve; write it and run hopd", "config", path)
			return nil
		}
		return err
	}
	stateDir, err := g.ensureState()
	if err != nil {
		return err
	}
	state := api.StateDir(stateDir)
	lock := flock.New(state.LockFile(), flock.SetFlag(os.O_CREATE|os.O_RDONLY|filetrust.NoFollow))
	locked, err := lock.TryLock()
	if err != nil {
		return fmt.Errorf("taking the lock in %s: %w", stateDir, err)
	}
	if !locked {
		err := alreadyRunning(state)
		if f.autostart {
			// Not a failure: launchd and systemd must not restart it.
			fmt.Fprintln(os.Stderr, "hopd: "+err.Error())
			return exitError{0}
		}
		return err
	}
	defer lock.Unlock()
	// The pid, for a second hopd to name, before daemon.json exists.
	if err := atomicfile.Write(state.PIDFile(), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		return err
	}
	defer os.Remove(state.PIDFile())

	// Opened under the lock: one writer rotates the file.
	logw, err := logfile.Open(state.LogFile(), logfile.DefaultMaxBytes, logfile.DefaultKeep)
	if err != nil {
		return err
	}
	defer logw.Close()
	if log, err = newLogger(g.logLevel, logOutput(logw, f.autostart)); err != nil {
		return err
	}
	token, err := server.LoadOrCreateToken(stateDir)
	if err != nil {
		return err
	}
	// Before the keychain's first use: its D-Bus library may start a session
	// bus of its own when there is none, and that is no desktop's.
	host, noTray := probeTray(ctx, f.noTray)
	if noTray != "" {
		log.Info("running without a tray", "reason", noTray)
	}
	d, err := daemon.New(daemon.Options{
		ConfigPath: path, Config: cfg, StateDir: stateDir, Version: version,
		Token: token, Keys: keychain.New(), Logger: log, Tray: host, Now: testClock(ctx, log),
	})
	if err != nil {
		return err
	}
	if err := d.Listen(); err != nil {
		return err
	}
	if err := writeDaemonFile(state, api.Daemon{PID: os.Getpid(), Listen: d.Addr(), Config: orAbs(path)}); err != nil {
		return err
	}
	defer os.Remove(state.DaemonFile())
	go server.TrimMemory(ctx, log)
	// The tray's event loop needs this, the main goroutine (macOS insists).
	return d.Run(ctx)
}
