//go:build linux

package notify

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hopd/hopd/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// notifyCall is one Notify call as the notification server saw it.
type notifyCall struct {
	app, summary, body string
	replaces           uint32
	actions            []string
	hints              map[string]dbus.Variant
}

// server is a notification server on the test's private session bus: the
// part of a desktop that draws notifications.
type server struct {
	conn *dbus.Conn

	mu     sync.Mutex
	calls  []notifyCall
	nextID uint32
}

func (s *server) GetCapabilities() ([]string, *dbus.Error) {
	return []string{"actions", "body", "body-markup"}, nil
}

func (s *server) Notify(app string, replaces uint32, icon, summary, body string, actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, notifyCall{app: app, summary: summary, body: body, replaces: replaces, actions: actions, hints: hints})
	if replaces != 0 {
		return replaces, nil
	}
	s.nextID++
	return s.nextID, nil
}

func (s *server) CloseNotification(uint32) *dbus.Error { return nil }

func (s *server) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "hopd-test", "hopd", "1", "1.2", nil
}

func (s *server) last(t *testing.T) notifyCall {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.calls) == 0 {
		t.Fatal("the notification server got no Notify call")
	}
	return s.calls[len(s.calls)-1]
}

// startServer owns org.freedesktop.Notifications on the private bus.
func startServer(t *testing.T) *server {
	t.Helper()
	var addr string
	for _, kv := range testenv.Bus(t) {
		if v, ok := strings.CutPrefix(kv, "DBUS_SESSION_BUS_ADDRESS="); ok {
			addr = v
		}
	}
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connecting to the private session bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	s := &server{conn: conn}
	if err := conn.Export(s, busPath, busIface); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName(busName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("cannot own %s on the private bus (reply %v): %v", busName, reply, err)
	}
	return s
}

func TestShowOverDBus(t *testing.T) {
	srv := startServer(t)
	n := New("hopd")
	t.Cleanup(func() { n.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	clicked := make(chan struct{}, 1)
	err := n.Show(ctx, Notification{Title: "MFA code needed", Body: "user <michael> & co", OnClick: func() { clicked <- struct{}{} }})
	if err != nil {
		t.Fatalf("Show: %v", err)
	}
	first := srv.last(t)
	if first.app != "hopd" || first.summary != "MFA code needed" || first.replaces != 0 {
		t.Errorf("Notify got app %q, summary %q, replaces %d; want hopd, the title, 0", first.app, first.summary, first.replaces)
	}
	if want := "user &lt;michael&gt; &amp; co"; first.body != want {
		t.Errorf("Notify got body %q; want %q, escaped for a server that reads markup", first.body, want)
	}
	if len(first.actions) < 2 || first.actions[0] != "default" {
		t.Errorf("Notify got actions %q; want the default action, so a click is reported", first.actions)
	}
	if v, ok := first.hints["urgency"]; !ok || v.Value() != byte(1) {
		t.Errorf("Notify got hints %v; want urgency 1 (normal)", first.hints)
	}

	// The server reports a click on the notification.
	if err := srv.conn.Emit(busPath, busIface+".ActionInvoked", uint32(1), "default"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-clicked:
	case <-time.After(10 * time.Second):
		t.Fatal("OnClick did not run within 10s of ActionInvoked")
	}

	// The next notification replaces the first rather than piling up.
	if err := n.Show(ctx, Notification{Title: "again", Body: "plain"}); err != nil {
		t.Fatalf("second Show: %v", err)
	}
	if second := srv.last(t); second.replaces != 1 || len(second.actions) != 0 {
		t.Errorf("the second Notify replaces %d with actions %q; want it to replace 1, with no actions", second.replaces, second.actions)
	}
	if err := n.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := n.Show(ctx, Notification{Title: "x"}); err == nil {
		t.Error("Show after Close succeeded")
	}
}

func TestShowWithoutBus(t *testing.T) {
	for name, env := range map[string][2]string{
		"no bus at all":                    {"", t.TempDir()},
		"a bus address that leads nowhere": {"unix:path=" + filepath.Join(t.TempDir(), "nobus"), ""},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", env[0])
			t.Setenv("XDG_RUNTIME_DIR", env[1])
			n := New("hopd")
			defer n.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := n.Show(ctx, Notification{Title: "t", Body: "b"})
			if !errors.Is(err, ErrUnavailable) {
				t.Errorf("Show: %v; want an error wrapping ErrUnavailable", err)
			}
		})
	}
}
