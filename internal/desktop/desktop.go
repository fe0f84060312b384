// Package desktop finds the parts of the desktop session hopd uses: the D-Bus session bus and a tray host.
//
// The tray, the notifications and `hopd doctor` all ask here, so that the
// doctor never reports no tray where the daemon shows one.
package desktop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/godbus/dbus/v5"
)

// SessionBus returns the address of the user's D-Bus session bus, "" when
// there is none: $DBUS_SESSION_BUS_ADDRESS, else the socket
// $XDG_RUNTIME_DIR/bus that systemd's user session provides. It never
// falls back to dbus-launch (nor takes "autolaunch:", which means that),
// which would leave a bus of its own behind that no desktop listens on.
func SessionBus(getenv func(string) string) string {
	if addr := getenv("DBUS_SESSION_BUS_ADDRESS"); addr != "" && addr != "autolaunch:" {
		return addr
	}
	if rt := getenv("XDG_RUNTIME_DIR"); rt != "" {
		path := filepath.Join(rt, "bus")
		if st, err := os.Stat(path); err == nil && st.Mode()&os.ModeSocket != 0 {
			return "unix:path=" + path
		}
	}
	return ""
}

// TrayHost is whether a tray icon can be shown.
type TrayHost int

// What ProbeTray finds.
const (
	// NoTrayHost: no tray can be shown in this session (no D-Bus session
	// bus); hopd runs headless.
	NoTrayHost TrayHost = iota
	// TrayHostLater: the tray can run but no tray host is there yet; the
	// icon appears when one starts (fyne.io/systray registers again then).
	TrayHostLater
	// TrayHostReady: a tray host is there.
	TrayHostReady
)

// WatcherName is the bus name of the tray host's StatusNotifierWatcher,
// with which tray icons register.
const WatcherName = "org.kde.StatusNotifierWatcher"

// ErrNoSessionBus is ProbeTray's error when SessionBus found none.
var ErrNoSessionBus = errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")

// ProbeTray says whether a tray icon can be shown on goos with the session
// bus at busAddr (SessionBus's answer). On Linux and the BSDs the icon is a
// StatusNotifierItem on the session bus, which needs no display of its
// own: a session bus is enough to run the tray, and the icon shows once a
// tray host (a panel's StatusNotifierWatcher) is there. The macOS menu bar
// and the Windows notification area are always there. The error, with
// NoTrayHost, says why there is no tray.
func ProbeTray(ctx context.Context, goos, busAddr string) (TrayHost, error) {
	switch goos {
	case "linux", "freebsd", "openbsd", "netbsd":
	default:
		return TrayHostReady, nil
	}
	if busAddr == "" {
		return NoTrayHost, ErrNoSessionBus
	}
	conn, err := dbus.Connect(busAddr, dbus.WithContext(ctx))
	if err != nil {
		return NoTrayHost, fmt.Errorf("cannot connect to the D-Bus session bus: %w", err)
	}
	defer conn.Close()
	var owned bool
	err = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, WatcherName).Store(&owned)
	if err != nil {
		return NoTrayHost, fmt.Errorf("the D-Bus session bus does not answer: %w", err)
	}
	if !owned {
		return TrayHostLater, nil
	}
	return TrayHostReady, nil
}
