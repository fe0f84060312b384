package tray

// Host is whether a tray icon can be shown.
type Host int

// What Probe finds.
const (
	// NoHost: no tray can be shown in this session (no D-Bus session bus);
	// hopd runs headless.
	NoHost Host = iota
	// HostLater: the tray can run but no tray host is there yet; the icon
	// appears when one starts (fyne.io/systray registers again then).
	HostLater
	// HostReady: a tray host is there.
	HostReady
)
