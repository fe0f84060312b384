package desktop

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hopd/hopd/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestSessionBus(t *testing.T) {
	withSocket := t.TempDir()
	ln, err := net.Listen("unix", filepath.Join(withSocket, "bus"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	withFile := t.TempDir()
	if err := os.WriteFile(filepath.Join(withFile, "bus"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"the variable wins", map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x", "XDG_RUNTIME_DIR": withSocket}, "unix:path=/x"},
		{"the runtime directory's socket", map[string]string{"XDG_RUNTIME_DIR": withSocket}, "unix:path=" + filepath.Join(withSocket, "bus")},
		{"a file that is no socket", map[string]string{"XDG_RUNTIME_DIR": withFile}, ""},
		{"a runtime directory without a bus", map[string]string{"XDG_RUNTIME_DIR": t.TempDir()}, ""},
		{"autolaunch is no bus", map[string]string{"DBUS_SESSION_BUS_ADDRESS": "autolaunch:", "XDG_RUNTIME_DIR": withSocket}, "unix:path=" + filepath.Join(withSocket, "bus")},
		{"nothing", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SessionBus(func(k string) string { return tt.env[k] }); got != tt.want {
				t.Errorf("SessionBus = %q, want %q", got, tt.want)
			}
		})
	}
}

// On a private session bus: nothing owning the StatusNotifierWatcher means
// a tray host later; once the test owns it, as a desktop's tray host
// would, the host is ready. Without a bus there is no tray.
func TestProbeTray(t *testing.T) {
	var addr string
	for _, kv := range testenv.Bus(t) {
		if v, ok := strings.CutPrefix(kv, "DBUS_SESSION_BUS_ADDRESS="); ok {
			addr = v
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	probe := func(goos, addr string, want TrayHost, wantErr string) {
		t.Helper()
		got, err := ProbeTray(ctx, goos, addr)
		if got != want || (wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), wantErr) {
			t.Errorf("ProbeTray(%s, %q) = %v, %v; want %v, %q", goos, addr, got, err, want, wantErr)
		}
	}
	probe("darwin", "", TrayHostReady, "")
	probe("windows", "", TrayHostReady, "")
	if _, err := ProbeTray(ctx, "linux", ""); !errors.Is(err, ErrNoSessionBus) {
		t.Errorf("ProbeTray without a bus: %v, want ErrNoSessionBus", err)
	}
	probe("linux", "unix:path="+filepath.Join(t.TempDir(), "nobus"), NoTrayHost, "cannot connect to the D-Bus session bus")

	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	probe("linux", addr, TrayHostLater, "")
	if reply, err := conn.RequestName(WatcherName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("cannot own %s on the private bus: %v (%v)", WatcherName, reply, err)
	}
	probe("freebsd", addr, TrayHostReady, "")
	if _, err := conn.ReleaseName(WatcherName); err != nil {
		t.Fatal(err)
	}
	probe("linux", addr, TrayHostLater, "")
}
