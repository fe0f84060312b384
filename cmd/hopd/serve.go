package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"github.com/spf13/cobra"

	"github.com/hopd/hopd/internal/broker"
	"github.com/hopd/hopd/internal/client"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/keychain"
	"github.com/hopd/hopd/internal/server"
)

type serveFlags struct {
	noTray bool
}

func newServeCmd(g *globals) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon (the default command)",
		Long: `Run the daemon: serve credentials on the loopback address of the config
(ECS endpoint, control API) and on each account's imds_port, refresh them
before they expire, and reload the config when the file changes.

Only one daemon runs per state directory. SIGINT or SIGTERM stops it cleanly.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), g, f)
		},
	}
	cmd.Flags().BoolVar(&f.noTray, "no-tray", false, "run without a tray icon")
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

	mu        sync.Mutex
	cfg       *config.Config
	configErr string
}

func runServe(ctx context.Context, g *globals, f serveFlags) error {
	log, err := newLogger(g.logLevel)
	if err != nil {
		return err
	}
	path, err := g.config()
	if err != nil {
		return err
	}
	cfg, err := config.Load(path)
	if err != nil {
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
		return alreadyRunning(stateDir)
	}
	defer lock.Unlock()

	token, err := server.LoadOrCreateToken(stateDir)
	if err != nil {
		return err
	}
	kc := keychain.New()
	for _, u := range cfg.Users {
		if _, err := kc.Keys(u.Name); err != nil {
			log.Warn("no usable keys for user: credentials will fail until they are stored", "user", u.Name, "fix", "hopd keys set "+u.Name, "err", err)
		}
	}

	d := &daemon{path: path, stateDir: stateDir, started: time.Now(), log: log, cfg: cfg}
	d.broker = broker.New(cfg, broker.Options{Keys: kc, Logger: log})
	defer d.broker.Close()
	d.server = server.New(server.Options{
		Token:     token,
		Source:    d.broker,
		Info:      d.info,
		Reload:    d.reload,
		Logger:    log,
		PeerCheck: true,
	})

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	serveErr := make(chan error, 1)
	go func() { serveErr <- d.server.Serve(ctx, cfg) }()
	if err := waitListening(ctx, cfg.Listen, serveErr); err != nil {
		return err
	}
	if err := writeDaemonFile(stateDir, client.Daemon{PID: os.Getpid(), Listen: cfg.Listen}); err != nil {
		return err
	}
	defer os.Remove(client.DaemonFile(stateDir))

	go func() {
		w := &config.Watcher{Path: path, Initial: cfg, OnChange: d.apply, OnError: d.configFailed}
		err := w.Run(ctx)
		if err != nil && ctx.Err() == nil {
			log.Error("watching the config stopped: edits take effect after `hopd` restarts or POST /v1/reload", "err", err)
		}
	}()

	if !f.noTray {
		// The tray is its own issue; until it lands hopd always runs headless.
		log.Info("running without a tray icon")
	}
	log.Info("hopd is serving", "listen", cfg.Listen, "accounts", len(cfg.Accounts), "config", path, "version", version)

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

func (d *daemon) info() server.DaemonInfo {
	d.mu.Lock()
	defer d.mu.Unlock()
	return server.DaemonInfo{
		Version: version, PID: os.Getpid(), Listen: d.cfg.Listen, ConfigPath: d.path,
		ConfigError: d.configErr, StateDir: d.stateDir, Started: d.started,
	}
}

// apply puts a new valid config in force. The listen address cannot move
// while running (clients hold it): the server reports that as an error.
func (d *daemon) apply(cfg *config.Config) {
	d.mu.Lock()
	d.cfg = cfg
	d.configErr = ""
	d.mu.Unlock()
	d.broker.SetConfig(cfg)
	for _, err := range d.server.Apply(cfg) {
		d.log.Error("applying the config", "err", err)
	}
	d.log.Info("config reloaded", "accounts", len(cfg.Accounts))
}

func (d *daemon) configFailed(err error) {
	d.mu.Lock()
	d.configErr = err.Error()
	d.mu.Unlock()
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

func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}

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
	data, _ := os.ReadFile(client.DaemonFile(stateDir))
	var d client.Daemon
	if json.Unmarshal(data, &d) == nil && d.PID > 0 {
		return fmt.Errorf("hopd is already running (pid %d); see `hopd status`", d.PID)
	}
	return errors.New("hopd is already running for this state directory; see `hopd status`")
}

// writeDaemonFile writes daemon.json atomically so a reader never sees half.
func writeDaemonFile(stateDir string, d client.Daemon) error {
	data, _ := json.Marshal(d)
	return writeFileAtomic(client.DaemonFile(stateDir), data, 0o600)
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-"+strconv.Itoa(os.Getpid()))
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
