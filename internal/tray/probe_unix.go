//go:build (linux || freebsd || openbsd || netbsd) && !android

package tray

import (
	"context"
	"os"
	"path/filepath"

	"github.com/godbus/dbus/v5"
)

// watcherName is the bus name of the tray host's StatusNotifierWatcher, with
// which tray icons register.
const watcherName = "org.kde.StatusNotifierWatcher"

// Probe says whether a tray icon can be shown. On these systems the icon is
// a StatusNotifierItem on the D-Bus session bus, which needs no display of
// its own: a session bus is enough to run the tray, and the icon shows once
// a tray host (a panel's StatusNotifierWatcher) is there.
func Probe(ctx context.Context) (Host, string) {
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
			if st, err := os.Stat(filepath.Join(rt, "bus")); err == nil && st.Mode()&os.ModeSocket != 0 {
				addr = "unix:path=" + filepath.Join(rt, "bus")
			}
		}
	}
	if addr == "" {
		return NoHost, "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
	}
	conn, err := dbus.Connect(addr, dbus.WithContext(ctx))
	if err != nil {
		return NoHost, "cannot connect to the D-Bus session bus: " + err.Error()
	}
	defer conn.Close()
	var owned bool
	err = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&owned)
	if err != nil {
		return NoHost, "the D-Bus session bus does not answer: " + err.Error()
	}
	if !owned {
		return HostLater, "no tray host on the session bus yet (nothing owns " + watcherName + "); the icon appears when one starts"
	}
	return HostReady, ""
}
