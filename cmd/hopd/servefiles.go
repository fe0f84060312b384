package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/atomicfile"
	"github.com/hopd/hopd/internal/filetrust"
	"github.com/hopd/hopd/internal/logfile"
	"github.com/hopd/hopd/internal/tray"
)

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
	return logfile.Tee(file, os.Stderr)
}

// probeTray looks for a tray host, unless --no-tray, and says why there
// is none ("" when --no-tray asked for none).
func probeTray(ctx context.Context, noTray bool) (tray.Host, string) {
	if noTray {
		return tray.NoHost, ""
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return tray.Probe(ctx)
}

func alreadyRunning(state api.StateDir) error {
	data, _ := filetrust.ReadFile(state.DaemonFile())
	var d api.Daemon
	if json.Unmarshal(data, &d) == nil && d.PID > 0 {
		return fmt.Errorf("already running (pid %d); see `hopd status`", d.PID)
	}
	data, _ = filetrust.ReadFile(state.PIDFile())
	if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && pid > 0 {
		return fmt.Errorf("already running (pid %d) and still starting; see `hopd status`", pid)
	}
	return errors.New("already running for this state directory; see `hopd status`")
}

// writeDaemonFile writes daemon.json atomically so a reader never sees half.
func writeDaemonFile(state api.StateDir, d api.Daemon) error {
	data, _ := json.Marshal(d)
	return atomicfile.Write(state.DaemonFile(), data, 0o600)
}
