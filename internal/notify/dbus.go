//go:build !darwin && !windows

package notify

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/godbus/dbus/v5"

	"github.com/hopd/hopd/internal/desktop"
)

// The freedesktop Desktop Notifications interface, which every Linux and
// BSD desktop's notification daemon serves on the session bus.
const (
	busName   = "org.freedesktop.Notifications"
	busPath   = dbus.ObjectPath("/org/freedesktop/Notifications")
	busIface  = "org.freedesktop.Notifications"
	actionKey = "default" // the action a click on the notification itself invokes
)

type freedesktop struct {
	conn   *dbus.Conn // nil until the first show, and after the bus went away
	markup bool       // the server reads the body as markup, so it needs escaping
	lastID uint32     // replaced by the next notification

	mu      sync.Mutex // guards clicks, which the signal goroutine reads
	clicks  map[uint32]func()
	signals chan *dbus.Signal
}

func newPlatform() platform { return &freedesktop{clicks: map[uint32]func(){}} }

func (f *freedesktop) connect(ctx context.Context) error {
	if f.conn != nil && f.conn.Connected() {
		return nil
	}
	f.conn = nil
	// The bus the tray uses, found the same way (and never by dbus-launch).
	addr := desktop.SessionBus(os.Getenv)
	if addr == "" {
		return fmt.Errorf("%w: there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)", ErrUnavailable)
	}
	conn, err := dbus.Connect(addr, dbus.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("%w: cannot connect to the D-Bus session bus: %v", ErrUnavailable, err)
	}
	var caps []string
	err = conn.Object(busName, busPath).CallWithContext(ctx, busIface+".GetCapabilities", 0).Store(&caps)
	if err != nil {
		conn.Close()
		return fmt.Errorf("%w: no notification service (%s) answers on the session bus: %v", ErrUnavailable, busName, err)
	}
	f.markup = slices.Contains(caps, "body-markup")
	if err := conn.AddMatchSignalContext(ctx, dbus.WithMatchObjectPath(busPath), dbus.WithMatchInterface(busIface)); err != nil {
		conn.Close()
		return fmt.Errorf("listening for clicks on notifications: %w", err)
	}
	f.signals = make(chan *dbus.Signal, 16)
	conn.Signal(f.signals)
	go f.listen(f.signals)
	f.conn = conn
	return nil
}

// listen runs the click handlers; it ends when the connection closes,
// which closes the channel.
func (f *freedesktop) listen(signals <-chan *dbus.Signal) {
	for sig := range signals {
		if len(sig.Body) < 2 {
			continue
		}
		id, ok := sig.Body[0].(uint32)
		if !ok {
			continue
		}
		switch sig.Name {
		case busIface + ".ActionInvoked":
			if key, _ := sig.Body[1].(string); key == actionKey {
				f.mu.Lock()
				click := f.clicks[id]
				f.mu.Unlock()
				if click != nil {
					go click()
				}
			}
		case busIface + ".NotificationClosed":
			f.mu.Lock()
			delete(f.clicks, id)
			f.mu.Unlock()
		}
	}
}

func (f *freedesktop) show(ctx context.Context, app string, n Notification) error {
	if err := f.connect(ctx); err != nil {
		return err
	}
	body := n.Body
	if f.markup {
		body = escapeMarkup(body)
	}
	actions := []string{}
	if n.OnClick != nil {
		actions = []string{actionKey, "Open"}
	}
	hints := map[string]dbus.Variant{
		"urgency":       dbus.MakeVariant(byte(1)), // normal
		"desktop-entry": dbus.MakeVariant(app),
	}
	var id uint32
	err := f.conn.Object(busName, busPath).CallWithContext(ctx, busIface+".Notify", 0,
		app, f.lastID, "dialog-password", n.Title, body, actions, hints, int32(-1)).Store(&id)
	if err != nil {
		if !f.conn.Connected() {
			f.conn = nil // the bus went away: connect again next time
		}
		return fmt.Errorf("showing a desktop notification: %w", err)
	}
	f.mu.Lock()
	delete(f.clicks, f.lastID)
	if n.OnClick != nil {
		f.clicks[id] = n.OnClick
	}
	f.mu.Unlock()
	f.lastID = id
	return nil
}

func (f *freedesktop) close() error {
	if f.conn == nil {
		return nil
	}
	err := f.conn.Close()
	f.conn = nil
	return err
}

// escapeMarkup keeps a server that reads the body as its small subset of
// HTML from taking text for tags.
func escapeMarkup(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
