package tray

import (
	"context"
	"os"
	"runtime"

	"github.com/hopd/hopd/internal/desktop"
)

// Host is whether a tray icon can be shown.
type Host = desktop.TrayHost

// What Probe finds.
const (
	// NoHost: no tray can be shown in this session (no D-Bus session bus);
	// hopd runs headless.
	NoHost = desktop.NoTrayHost
	// HostLater: the tray can run but no tray host is there yet; the icon
	// appears when one starts (fyne.io/systray registers again then).
	HostLater = desktop.TrayHostLater
	// HostReady: a tray host is there.
	HostReady = desktop.TrayHostReady
)

// Probe says whether a tray icon can be shown in this session, and if not
// at once, why. It asks what `hopd doctor` asks (desktop.ProbeTray), so
// the two agree.
func Probe(ctx context.Context) (Host, string) {
	host, err := desktop.ProbeTray(ctx, runtime.GOOS, desktop.SessionBus(os.Getenv))
	switch {
	case err != nil:
		return host, err.Error()
	case host == HostLater:
		return host, "no tray host on the session bus yet (nothing owns " + desktop.WatcherName + "); the icon appears when one starts"
	}
	return host, ""
}
