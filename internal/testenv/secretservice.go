package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"
)

// SecretService is a gnome-keyring on a D-Bus session bus of its own, for a
// test that breaks the keychain of a child process (hopd) while it runs:
// stops it, starts it again, locks and unlocks it. Unlike Keyring, it is
// not the test process's keychain, so breaking it disturbs no other test.
// The items live on disk in its HOME and survive a Stop and Start.
type SecretService struct {
	bus     *privateBus
	logPath string

	mu      sync.Mutex
	keyring *proc // nil while stopped
}

// The bus of a SecretService must not start gnome-keyring by itself when a
// client asks for org.freedesktop.secrets after Stop (the stock session
// config would, from /usr/share/dbus-1/services): a stopped keychain must
// stay stopped. So the bus runs with a config of its own, without service
// directories.
const ownBusConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// OwnSecretService starts a private bus with a running, unlocked
// gnome-keyring on it, and stops both when the test ends. Give Env to the
// child processes that should use it.
func OwnSecretService(t testing.TB) *SecretService {
	t.Helper()
	for _, prog := range []string{"dbus-daemon", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(prog); err != nil {
			Missing(t, prog+" (apt-get install dbus-daemon gnome-keyring)", err)
		}
	}
	dir := t.TempDir()
	b := &privateBus{
		dir:     dir,
		addr:    "unix:path=" + filepath.Join(dir, "bus"),
		home:    filepath.Join(dir, "home"),
		runtime: filepath.Join(dir, "run"),
	}
	for _, d := range []string{b.home, b.runtime} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, ownBusConfig, b.addr), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "dbus-daemon.log")
	log, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--nopidfile")
	cmd.Env = b.childEnv()
	cmd.Stdout, cmd.Stderr = log, log
	if b.daemon, err = startProc(cmd); err != nil {
		t.Fatalf("cannot start dbus-daemon: %v", err)
	}
	s := &SecretService{bus: b, logPath: filepath.Join(dir, "gnome-keyring.log")}
	t.Cleanup(func() {
		s.Stop()
		b.daemon.stop()
		if t.Failed() {
			t.Logf("the test's own gnome-keyring log:\n%s", tail(s.logPath, 4096))
		}
	})
	s.waitBus(t, logPath)
	s.Start(t)
	return s
}

// Env is what a child process needs to use this keychain:
// DBUS_SESSION_BUS_ADDRESS, and a HOME and XDG_RUNTIME_DIR of its own.
func (s *SecretService) Env() []string { return s.bus.env() }

func (s *SecretService) waitBus(t testing.TB, logPath string) {
	t.Helper()
	if err := s.bus.waitBus(); err != nil {
		t.Fatalf("%v; its log:\n%s", err, tail(logPath, 4096))
	}
}

// Start starts gnome-keyring-daemon, unlocking the login keyring with its
// password (creating it on the first start), and waits until it serves the
// Secret Service. It does nothing while the daemon runs.
func (s *SecretService) Start(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keyring != nil && !s.keyring.exited() {
		return
	}
	p, err := s.bus.runKeyring(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	s.keyring = p
}

// Stop kills gnome-keyring-daemon and leaves the bus up, so that clients
// find no Secret Service on it: an unreachable keychain.
func (s *SecretService) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keyring.stop()
	s.keyring = nil
}

func (s *SecretService) connect(t testing.TB) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(s.bus.addr)
	if err != nil {
		t.Fatalf("cannot connect to the test's own D-Bus at %s: %v", s.bus.addr, err)
	}
	return conn
}

const (
	secretsPath     = dbus.ObjectPath("/org/freedesktop/secrets")
	loginCollection = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
)

// Lock locks the login keyring, as the screen locker or `Lock` in a
// keyring manager does: its items stay, and reading them needs the
// password again.
func (s *SecretService) Lock(t testing.TB) {
	t.Helper()
	conn := s.connect(t)
	defer conn.Close()
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	err := conn.Object(secretsName, secretsPath).
		Call("org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{loginCollection}).
		Store(&locked, &prompt)
	if err != nil {
		t.Fatalf("locking the login keyring: %v", err)
	}
	if len(locked) != 1 {
		t.Fatalf("locking the login keyring locked %v (prompt %s); want the login collection, without a prompt", locked, prompt)
	}
}

// Unlock unlocks the login keyring with its password, through the
// interface gnome-keyring's own password prompt uses, since no person is
// there to answer a prompt.
func (s *SecretService) Unlock(t testing.TB) {
	t.Helper()
	conn := s.connect(t)
	defer conn.Close()
	service := conn.Object(secretsName, secretsPath)
	// A "plain" session: the password crosses a private socket only.
	var out dbus.Variant
	var session dbus.ObjectPath
	if err := service.Call("org.freedesktop.Secret.Service.OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&out, &session); err != nil {
		t.Fatalf("opening a Secret Service session to unlock the keyring: %v", err)
	}
	secret := struct {
		Session     dbus.ObjectPath
		Parameters  []byte
		Value       []byte
		ContentType string
	}{session, []byte{}, []byte(keyringPassword), "text/plain"}
	err := service.Call("org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface.UnlockWithMasterPassword", 0, loginCollection, secret).Err
	if err != nil {
		t.Fatalf("unlocking the login keyring: %v", err)
	}
}

// Items counts the items stored for service and user (the attributes
// go-keyring sets), locked or not, without reading their secrets.
func (s *SecretService) Items(t testing.TB, service, user string) int {
	t.Helper()
	conn := s.connect(t)
	defer conn.Close()
	var unlocked, locked []dbus.ObjectPath
	err := conn.Object(secretsName, secretsPath).
		Call("org.freedesktop.Secret.Service.SearchItems", 0, map[string]string{"service": service, "username": user}).
		Store(&unlocked, &locked)
	if err != nil {
		t.Fatalf("searching the keyring for %s/%s: %v", service, user, err)
	}
	return len(unlocked) + len(locked)
}
