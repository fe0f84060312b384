package doctor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hopd/hopd/internal/autostart"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/desktop"
	"github.com/hopd/hopd/internal/keychain"
	"github.com/hopd/hopd/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// want fails the test unless r is at level and its one line mentions
// every phrase.
func want(t *testing.T, r Result, level Level, phrases ...string) {
	t.Helper()
	if r.Level != level || strings.ContainsAny(r.Message, "\r\n") {
		t.Errorf("%s: %s %q; want %s on one line", r.Check, r.Level, r.Message, level)
	}
	for _, p := range phrases {
		if !strings.Contains(r.Message, p) {
			t.Errorf("%s: %q; want it to mention %q", r.Check, r.Message, p)
		}
	}
}

func TestCheckConfig(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "config.toml")
	_, r := CheckConfig(missing)
	want(t, r, Fail, missing, "no such file", "[user]")

	bad := writeConfig(t, "[user]\nname = \"michael\"\n\n[[account]]\nname = \"prod\"\nid = \"12\"\n")
	cfg, r := CheckConfig(bad)
	want(t, r, Fail, bad+":6:", "12 digits")
	if cfg != nil {
		t.Error("CheckConfig returned a config for a bad file")
	}

	good := writeConfig(t, "[user]\nname = \"michael\"\n\n[[account]]\nname = \"prod\"\nid = \"222222222222\"\n")
	cfg, r = CheckConfig(good)
	want(t, r, OK, good, "1 account", "1 user")
	if cfg == nil {
		t.Error("CheckConfig returned no config for a good file")
	}
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Against a real Secret Service: a user without keys gets a line saying
// to run `hopd keys set`; one with keys gets ok, and no key is shown.
func TestCheckKeys(t *testing.T) {
	testenv.Keyring(t)
	kc := keychain.NewService(randomName("hopd-doctor-test-"))
	cfg, err := config.Parse("test.toml", []byte("[[user]]\nname = \"alice\"\n\n[[user]]\nname = \"bob\"\n\n[[account]]\nname = \"a\"\nid = \"222222222222\"\nuser = \"alice\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	keys := keychain.Keys{AccessKeyID: "AKIADOCTORTEST000001", SecretAccessKey: "doctorSecretDoNotShow0123456789abcdefABC"}
	if err := kc.SetKeys("alice", keys); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kc.DeleteKeys("alice") })

	rs := CheckKeys(context.Background(), kc, cfg, 10*time.Second)
	if len(rs) != 2 {
		t.Fatalf("CheckKeys for two users returned %d results: %v", len(rs), rs)
	}
	want(t, rs[0], OK, `"alice"`)
	want(t, rs[1], Fail, `"bob"`, "hopd keys set bob")
	for _, r := range rs {
		if strings.Contains(r.Message, keys.SecretAccessKey) || strings.Contains(r.Message, keys.AccessKeyID) {
			t.Errorf("the keychain check shows a key: %q", r.Message)
		}
	}
	rs = CheckKeys(context.Background(), kc, nil, time.Second)
	want(t, rs[0], Warn, "config")
}

// blockedKeychain never answers, as go-keyring does while a locked
// keyring waits for a password prompt that nobody sees.
type blockedKeychain chan struct{}

func (b blockedKeychain) Keys(string) (keychain.Keys, error) {
	<-b
	return keychain.Keys{}, errors.New("unblocked")
}

func TestCheckKeysLockedKeychain(t *testing.T) {
	b := make(blockedKeychain)
	defer close(b)
	cfg, _ := config.Parse("test.toml", []byte("[user]\nname = \"alice\"\n"))
	start := time.Now()
	rs := CheckKeys(context.Background(), b, cfg, 200*time.Millisecond)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("CheckKeys waited %s for a keychain that does not answer", took)
	}
	want(t, rs[0], Fail, "did not answer", "locked", "unlock")
}

// The ports check: a port another program holds is named with the field
// to change; free ports are fine.
func TestCheckPorts(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	takenPort := taken.Addr().(*net.TCPAddr).Port
	free := testenv.FreePort(t)
	cfgText := func(listen, imds int) string {
		return "listen = \"127.0.0.1:" + strconv.Itoa(listen) + "\"\n[user]\nname = \"m\"\n\n[[account]]\nname = \"staging\"\nid = \"333333333333\"\nimds_port = " + strconv.Itoa(imds) + "\n"
	}
	cfg, err := config.Parse("t.toml", []byte(cfgText(free, takenPort)))
	if err != nil {
		t.Fatal(err)
	}
	rs := CheckPorts(cfg, Daemon{})
	if len(rs) != 1 {
		t.Fatalf("CheckPorts = %v; want one failure", rs)
	}
	want(t, rs[0], Fail, "127.0.0.1:"+strconv.Itoa(takenPort), "imds_port of account staging", "taken", "set another imds_port for staging")

	cfg, _ = config.Parse("t.toml", []byte(cfgText(takenPort, free)))
	rs = CheckPorts(cfg, Daemon{})
	want(t, rs[0], Fail, "listen", "set another listen address")

	// The same port held by the running hopd is fine.
	rs = CheckPorts(cfg, Daemon{PID: 42, Listen: "127.0.0.1:" + strconv.Itoa(takenPort)})
	want(t, rs[0], OK, "1 port in use by hopd (pid 42)", "1 free")
}

// On a private session bus: with nothing owning the StatusNotifierWatcher
// the tray check warns; once the test owns it, as a desktop's tray host
// would, it is ok. Without any bus it says so.
func TestCheckTray(t *testing.T) {
	env := testenv.Bus(t)
	var addr string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "DBUS_SESSION_BUS_ADDRESS="); ok {
			addr = v
		}
	}
	ctx := context.Background()
	want(t, CheckTray(ctx, "linux", "", time.Second), Warn, "DBUS_SESSION_BUS_ADDRESS")
	want(t, CheckTray(ctx, "linux", "unix:path="+filepath.Join(t.TempDir(), "nobus"), 5*time.Second), Warn, "cannot connect to the D-Bus session bus", "without a tray icon")

	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Another test binary may share nothing with us, but this one's bus is
	// ours alone: nobody owns the watcher yet.
	want(t, CheckTray(ctx, "linux", addr, 5*time.Second), Warn, "no tray icons", desktop.WatcherName, "AppIndicator")
	if reply, err := conn.RequestName(desktop.WatcherName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("cannot own %s on the private bus: %v (%v)", desktop.WatcherName, reply, err)
	}
	want(t, CheckTray(ctx, "linux", addr, 5*time.Second), OK)
	if _, err := conn.ReleaseName(desktop.WatcherName); err != nil {
		t.Fatal(err)
	}
	want(t, CheckTray(ctx, "darwin", "", time.Second), OK)
}

func TestCheckAutostart(t *testing.T) {
	exe := "/usr/local/bin/hopd"
	status := func(st autostart.State, err error) func() (autostart.State, error) {
		return func() (autostart.State, error) { return st, err }
	}
	want(t, CheckAutostart(status(autostart.State{}, nil), exe), Warn, "hopd autostart enable")
	moved := autostart.State{Enabled: true, Method: autostart.XDG, Path: "/h/.config/autostart/hopd.desktop", Command: []string{"/old/hopd", "serve"}, Missing: true}
	want(t, CheckAutostart(status(moved, nil), exe), Fail, "/old/hopd", "no longer exists", "hopd autostart enable", exe)
	other := autostart.State{Enabled: true, Path: "/p", Command: []string{"/other/hopd"}}
	want(t, CheckAutostart(status(other, nil), exe), Warn, "/other/hopd", "not this hopd")
	good := autostart.State{Enabled: true, Path: "/p", Command: []string{exe}, Current: true}
	want(t, CheckAutostart(status(good, nil), exe), OK, "/p")
	want(t, CheckAutostart(status(autostart.State{}, errors.New("the autostart entry /p has an Exec line hopd cannot read")), exe), Fail, "cannot read")
}

// Against moto's Date header: a right clock is ok; a clock 10 minutes
// ahead or 2 minutes behind gets a line that says how far and what to do.
// STS down gets a line that says it cannot be reached.
func TestCheckClock(t *testing.T) {
	m := testenv.SharedMoto(t)
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	ctx := context.Background()
	shifted := func(d time.Duration) func() time.Time { return func() time.Time { return time.Now().Add(d) } }

	want(t, CheckClock(ctx, hc, m.URL, time.Now, 10*time.Second), OK, m.URL)
	want(t, CheckClock(ctx, hc, m.URL, shifted(10*time.Minute), 10*time.Second), Fail, "10m", "ahead of", "5 minutes", "set the clock")
	want(t, CheckClock(ctx, hc, m.URL, shifted(-2*time.Minute), 10*time.Second), Warn, "behind", "NTP")

	down := "http://127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
	want(t, CheckClock(ctx, hc, down, time.Now, 5*time.Second), Fail, "cannot reach STS at "+down, "network")
}

func TestSTSEndpoint(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	cfg, _ := config.Parse("t.toml", []byte("[user]\nname = \"m\"\nregion = \"eu-west-1\"\n"))
	cn, _ := config.Parse("t.toml", []byte("[user]\nname = \"m\"\nregion = \"cn-north-1\"\n"))
	for _, tc := range []struct {
		cfg  *config.Config
		env  map[string]string
		want string
	}{
		{cfg, nil, "https://sts.eu-west-1.amazonaws.com"},
		{cn, nil, "https://sts.cn-north-1.amazonaws.com.cn"},
		{nil, nil, "https://sts.us-east-1.amazonaws.com"},
		{cfg, map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}, "http://127.0.0.1:5000"},
		{cfg, map[string]string{"AWS_ENDPOINT_URL": "http://a", "AWS_ENDPOINT_URL_STS": "http://b"}, "http://b"},
	} {
		if got := STSEndpoint(tc.cfg, env(tc.env)); got != tc.want {
			t.Errorf("STSEndpoint with %v = %s; want %s", tc.env, got, tc.want)
		}
	}
}

// The doctor looks for the session bus where the daemon's tray does: with
// no DBUS_SESSION_BUS_ADDRESS, a systemd user session's $XDG_RUNTIME_DIR/bus
// still is one, and the tray check must not say there is none.
func TestEnvFindsTheBusLikeTheTray(t *testing.T) {
	rt := t.TempDir()
	ln, err := net.Listen("unix", filepath.Join(rt, "bus"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	e := Env{Getenv: func(k string) string {
		if k == "XDG_RUNTIME_DIR" {
			return rt
		}
		return ""
	}}
	e.defaults()
	if want := "unix:path=" + filepath.Join(rt, "bus"); *e.BusAddress != want {
		t.Errorf("the doctor's session bus is %q, want %q as the tray finds it", *e.BusAddress, want)
	}
}
