package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/atomicfile"
	"github.com/hopd/hopd/internal/broker"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/dashboard"
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
	cmd.Flags().BoolVar(&f.autostart, "autostart", false, "started at login by `hopd autostart`: exit 0 when hopd already runs or has no config yet, log to the state directory only")
	return cmd
}

// daemon holds what the running daemon's parts share: the config in force
// and the last config error.
type daemon struct {
	path     string
	stateDir string
	started  time.Time
	log      *slog.Logger
	broker   *broker.Broker
	server   *server.Server
	keys     *keychain.Keychain
	changed  chan struct{}        // pokes the tray when the config is refused
	disc     *discovery           // accounts from AWS Organizations; see discovery.go
	dash     *dashboard.Dashboard // the browser page; see dashboard.go

	mu        sync.Mutex
	cfg       *config.Config
	configErr string
}

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
	lock := flock.New(filepath.Join(stateDir, "hopd.lock"))
	locked, err := lock.TryLock()
	if err != nil {
		return fmt.Errorf("taking the lock in %s: %w", stateDir, err)
	}
	if !locked {
		err := alreadyRunning(stateDir)
		if f.autostart {
			// Not a failure: launchd and systemd must not restart it.
			fmt.Fprintln(os.Stderr, "hopd: "+err.Error())
			return exitError{0}
		}
		return err
	}
	defer lock.Unlock()
	// The pid, for a second hopd to name, before daemon.json exists.
	if err := atomicfile.Write(pidFile(stateDir), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		return err
	}
	defer os.Remove(pidFile(stateDir))

	// Opened under the lock: one writer rotates the file.
	logw, err := logfile.Open(filepath.Join(stateDir, "hopd.log"), logfile.DefaultMaxBytes, logfile.DefaultKeep)
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
	host := probeTray(ctx, f.noTray)
	kc := keychain.New()
	for _, u := range cfg.Users {
		if _, err := kc.Keys(u.Name); err != nil {
			log.Warn("no usable keys for user: credentials will fail until they are stored", "user", u.Name, "fix", "hopd keys set "+u.Name, "err", err)
		}
	}

	d := &daemon{path: path, stateDir: stateDir, started: time.Now(), log: log, cfg: cfg, keys: kc, changed: make(chan struct{}, 1)}
	d.broker = broker.New(cfg, broker.Options{Keys: kc, Logger: log, Now: testClock(ctx, log)})
	defer d.broker.Close()
	eff := d.startDiscovery(cfg) // cfg plus the accounts discovered last time
	d.dash = d.newDashboard()
	d.server = server.New(server.Options{
		Token:         token,
		Source:        d.broker,
		Info:          d.info,
		Reload:        d.reload,
		Console:       d.consoleLink,
		Discover:      d.discoverNow,
		Logger:        log,
		PeerCheck:     true,
		Page:          d.dash,
		OnServe:       d.dash.Record,
		DashboardLink: d.dashboardLink,
	})

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d.startDashboard(ctx)
	serveErr := make(chan error, 1)
	go func() { serveErr <- d.server.Serve(ctx, eff) }()
	if err := waitListening(ctx, cfg.Listen, serveErr); err != nil {
		return err
	}
	if err := writeDaemonFile(stateDir, api.Daemon{PID: os.Getpid(), Listen: cfg.Listen}); err != nil {
		return err
	}
	defer os.Remove(api.StateDir(stateDir).DaemonFile())
	go d.runDiscovery(ctx)

	go func() {
		w := &config.Watcher{Path: path, Initial: cfg, OnChange: d.apply, OnError: d.configFailed}
		err := w.Run(ctx)
		if err != nil && ctx.Err() == nil {
			log.Error("watching the config stopped: edits take effect after `hopd` restarts or POST /v1/reload", "err", err)
		}
	}()

	log.Info("hopd is serving", "listen", cfg.Listen, "accounts", len(cfg.Accounts), "config", path, "version", version)

	wait := func() error {
		select {
		case err := <-serveErr:
			if err != nil && ctx.Err() == nil {
				return err
			}
		case <-ctx.Done():
			log.Info("shutting down")
			err := <-serveErr
			if err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
		}
		return nil
	}
	// The tray's event loop needs this, the main goroutine (macOS insists).
	return d.runTray(ctx, cancel, wait, host)
}

func (d *daemon) info() api.DaemonInfo {
	d.mu.Lock()
	defer d.mu.Unlock()
	return api.DaemonInfo{
		Version: version, PID: os.Getpid(), Listen: d.cfg.Listen, ConfigPath: d.path,
		ConfigError: d.configErr, StateDir: d.stateDir, Started: d.started,
		Discovery: d.discoveryInfo(), Goroutines: runtime.NumGoroutine(),
	}
}

// apply puts a new valid config in force. The listen address cannot move
// while running (clients hold it): the server reports that as an error.
func (d *daemon) apply(cfg *config.Config) {
	d.mu.Lock()
	d.cfg = cfg
	d.configErr = ""
	d.mu.Unlock()
	d.applyEffective() // with the discovered accounts; see discovery.go
	d.log.Info("config reloaded", "accounts", len(cfg.Accounts))
}

func (d *daemon) configFailed(err error) {
	d.mu.Lock()
	d.configErr = err.Error()
	d.mu.Unlock()
	d.poke()
	d.log.Error("config not applied; the last good config stays in force", "err", err)
}

func (d *daemon) reload(context.Context) error {
	cfg, err := config.Load(d.path)
	if err != nil {
		d.configFailed(err)
		return err
	}
	d.apply(cfg)
	return nil
}

func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// logOutput is the log file, and stderr too unless hopd was started at
// login and stderr goes nowhere a person looks (the journal or a
// LaunchAgent's file would only get a second copy).
func logOutput(file io.Writer, autostart bool) io.Writer {
	if autostart && !term.IsTerminal(int(os.Stderr.Fd())) {
		return file
	}
	return tee{file, os.Stderr}
}

// tee writes to both writers; unlike io.MultiWriter it goes on to the
// second when the first fails, so a full disk does not silence stderr.
type tee [2]io.Writer

func (t tee) Write(p []byte) (int, error) {
	_, err1 := t[0].Write(p)
	_, err2 := t[1].Write(p)
	if err1 != nil && err2 != nil {
		return 0, err1
	}
	return len(p), nil
}

// pidFile holds the running daemon's pid from the moment it has the lock.
func pidFile(stateDir string) string { return filepath.Join(stateDir, "hopd.pid") }

// waitListening returns once the server accepts connections.
func waitListening(ctx context.Context, addr string, serveErr <-chan error) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-serveErr:
			if err == nil {
				err = errors.New("the server stopped at start")
			}
			return err
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("hopd did not start listening on %s within 10s", addr)
}

func alreadyRunning(stateDir string) error {
	data, _ := os.ReadFile(api.StateDir(stateDir).DaemonFile())
	var d api.Daemon
	if json.Unmarshal(data, &d) == nil && d.PID > 0 {
		return fmt.Errorf("hopd is already running (pid %d); see `hopd status`", d.PID)
	}
	data, _ = os.ReadFile(pidFile(stateDir))
	if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && pid > 0 {
		return fmt.Errorf("hopd is already running (pid %d) and still starting; see `hopd status`", pid)
	}
	return errors.New("hopd is already running for this state directory; see `hopd status`")
}

// writeDaemonFile writes daemon.json atomically so a reader never sees half.
func writeDaemonFile(stateDir string, d api.Daemon) error {
	data, _ := json.Marshal(d)
	return atomicfile.Write(api.StateDir(stateDir).DaemonFile(), data, 0o600)
}
