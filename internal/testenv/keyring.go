package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

// The private session bus and its gnome-keyring are started once per test
// process, not once per test, because godbus connects to the session bus on
// first use and keeps that connection for the life of the process
// (dbus.SessionBus); go-keyring goes through it. A second bus started for a
// later test would never be seen. So the first caller starts the parts and
// points DBUS_SESSION_BUS_ADDRESS at them before anything opens the bus, and
// Shutdown (from Main) stops them when the tests are done.
var (
	busOnce sync.Once
	bus     *privateBus
	busErr  error

	keyringOnce sync.Once
	keyringErr  error
)

// keyringPassword unlocks the test keyring. It protects nothing: the
// keyring lives in a temporary HOME and holds only test data.
const keyringPassword = "hopd-test"

// partTimeout bounds how long dbus-daemon and gnome-keyring-daemon may take
// to come up.
const partTimeout = 15 * time.Second

const secretsName = "org.freedesktop.secrets"

type privateBus struct {
	dir     string // temporary root: bus socket, home/, run/, logs
	addr    string // DBUS_SESSION_BUS_ADDRESS
	home    string
	runtime string // XDG_RUNTIME_DIR
	daemon  *proc
	keyring *proc
}

func (b *privateBus) env() []string {
	return []string{
		"DBUS_SESSION_BUS_ADDRESS=" + b.addr,
		"HOME=" + b.home,
		"XDG_RUNTIME_DIR=" + b.runtime,
	}
}

// childEnv is the environment of the daemons: ours, with the bus, HOME and
// XDG_RUNTIME_DIR replaced, so they never touch the real user's files.
func (b *privateBus) childEnv() []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		for _, p := range []string{"DBUS_SESSION_BUS_ADDRESS=", "HOME=", "XDG_RUNTIME_DIR=", "GNOME_KEYRING_CONTROL="} {
			if strings.HasPrefix(kv, p) {
				return true
			}
		}
		return false
	})
	return append(env, b.env()...)
}

// missingError marks a failure caused by a program that is not installed,
// which skips a test instead of failing it (outside CI).
type missingError struct {
	what string
	err  error
}

func (e *missingError) Error() string { return e.what + ": " + e.err.Error() }
func (e *missingError) Unwrap() error { return e.err }

// report turns a start-up error into Missing or a failure.
func report(t testing.TB, err error) {
	t.Helper()
	var m *missingError
	if errors.As(err, &m) {
		Missing(t, m.what, m.err)
	}
	t.Fatal(err)
}

// Bus makes sure this test process uses a private D-Bus session bus (one per
// process, see above) and returns the environment a child process needs to
// reach it: DBUS_SESSION_BUS_ADDRESS, HOME and XDG_RUNTIME_DIR. Call it
// before anything in the process talks to D-Bus.
func Bus(t testing.TB) []string {
	t.Helper()
	busOnce.Do(func() { bus, busErr = startBus() })
	if busErr != nil {
		report(t, busErr)
	}
	return bus.env()
}

// Keyring makes sure this test process talks to a real, unlocked Secret
// Service (gnome-keyring) on the private session bus of Bus, and returns the
// environment that child processes (the hopd binary) need to reach the same
// keyring. The keyring is shared by all tests in the process: use a service
// name or user name of your own in each test. A child may be given another
// HOME: it reaches the keyring through the bus address alone.
//
// The package's TestMain must call Main (or Shutdown) so that the daemons
// are stopped when the tests end.
func Keyring(t testing.TB) []string {
	t.Helper()
	env := Bus(t)
	keyringOnce.Do(func() { keyringErr = startKeyring(bus) })
	if keyringErr != nil {
		report(t, keyringErr)
	}
	return env
}

func startBus() (*privateBus, error) {
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		return nil, &missingError{"dbus-daemon (apt-get install dbus-daemon)", err}
	}
	// Not t.TempDir: the bus outlives the test that first asked for it.
	dir, err := os.MkdirTemp("", "hopd-testenv-")
	if err != nil {
		return nil, fmt.Errorf("cannot create a directory for the private D-Bus: %w", err)
	}
	b := &privateBus{
		dir:     dir,
		addr:    "unix:path=" + filepath.Join(dir, "bus"),
		home:    filepath.Join(dir, "home"),
		runtime: filepath.Join(dir, "run"),
	}
	// Registered first so that it runs last, after the daemons are gone.
	atShutdown(func() { os.RemoveAll(dir) })
	for _, d := range []string{b.home, b.runtime} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return nil, fmt.Errorf("cannot create %s for the private D-Bus: %w", d, err)
		}
	}

	logPath := filepath.Join(dir, "dbus-daemon.log")
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile", "--address="+b.addr)
	cmd.Env = b.childEnv()
	cmd.Stdout, cmd.Stderr = log, log
	if b.daemon, err = startProc(cmd); err != nil {
		return nil, fmt.Errorf("cannot start dbus-daemon: %w", err)
	}
	atShutdown(b.daemon.stop)

	// Wait until the bus accepts a connection.
	if err := b.waitBus(); err != nil {
		return nil, fmt.Errorf("%w; its log:\n%s", err, tail(logPath, 4096))
	}

	// From here on, everything in this process that opens the session bus
	// (go-keyring, systray) opens ours.
	if err := os.Setenv("DBUS_SESSION_BUS_ADDRESS", b.addr); err != nil {
		return nil, err
	}
	return b, nil
}

func startKeyring(b *privateBus) error {
	if _, err := exec.LookPath("gnome-keyring-daemon"); err != nil {
		return &missingError{"gnome-keyring-daemon (apt-get install gnome-keyring)", err}
	}
	var err error
	if b.keyring, err = b.runKeyring(filepath.Join(b.dir, "gnome-keyring.log")); err != nil {
		return err
	}
	atShutdown(b.keyring.stop)
	conn, err := dbus.Connect(b.addr)
	if err != nil {
		return fmt.Errorf("cannot connect to the private D-Bus at %s: %w", b.addr, err)
	}
	defer conn.Close()
	return checkKeyring(conn)
}

// runKeyring starts gnome-keyring-daemon on the bus, its output appended
// to logPath, and waits until it serves the Secret Service. On failure it
// leaves no daemon behind.
func (b *privateBus) runKeyring(logPath string) (*proc, error) {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	// --foreground keeps the daemon our child, so that it can be killed
	// (and dies with us); --unlock reads the password from stdin until EOF
	// and creates the login keyring with it on first use.
	cmd := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	cmd.Env = b.childEnv()
	cmd.Stdin = strings.NewReader(keyringPassword)
	cmd.Stdout, cmd.Stderr = log, log
	p, err := startProc(cmd)
	if err != nil {
		return nil, fmt.Errorf("cannot start gnome-keyring-daemon: %w", err)
	}
	conn, err := dbus.Connect(b.addr)
	if err != nil {
		p.stop()
		return nil, fmt.Errorf("cannot connect to the private D-Bus at %s: %w", b.addr, err)
	}
	defer conn.Close()
	owned := false
	Poll(partTimeout, func() bool {
		err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, secretsName).Store(&owned)
		return (err == nil && owned) || p.exited()
	})
	switch {
	case err == nil && owned:
		return p, nil
	case p.exited():
		return nil, fmt.Errorf("gnome-keyring-daemon exited before it took %s (%v); its log:\n%s", secretsName, p.err, tail(logPath, 4096))
	}
	p.stop()
	return nil, fmt.Errorf("gnome-keyring-daemon did not take %s within %s (last error: %v); its log:\n%s", secretsName, partTimeout, err, tail(logPath, 4096))
}

// waitBus waits until the private bus accepts a connection, and says why
// it did not.
func (b *privateBus) waitBus() error {
	var err error
	Poll(partTimeout, func() bool {
		var conn *dbus.Conn
		if conn, err = dbus.Connect(b.addr); err == nil {
			conn.Close()
			return true
		}
		return b.daemon.exited()
	})
	switch {
	case err == nil:
		return nil
	case b.daemon.exited():
		return fmt.Errorf("dbus-daemon exited before it accepted connections (%v)", b.daemon.err)
	}
	return fmt.Errorf("dbus-daemon did not accept connections on %s within %s: %w", b.addr, partTimeout, err)
}

// checkKeyring proves that go-keyring, through this process's shared
// session-bus connection, reaches the keyring on our private bus and that it
// is unlocked: a write and read that would otherwise fail, block on a
// password prompt, or land in the real user's keyring.
func checkKeyring(private *dbus.Conn) error {
	shared, err := dbus.SessionBus()
	if err != nil {
		return fmt.Errorf("cannot open the session bus after pointing DBUS_SESSION_BUS_ADDRESS at the private one: %w", err)
	}
	var want, got string
	if err := private.BusObject().Call("org.freedesktop.DBus.GetId", 0).Store(&want); err != nil {
		return fmt.Errorf("cannot ask the private D-Bus for its id: %w", err)
	}
	if err := shared.BusObject().Call("org.freedesktop.DBus.GetId", 0).Store(&got); err != nil {
		return fmt.Errorf("cannot ask the session bus for its id: %w", err)
	}
	if got != want {
		return errors.New("this test process was already connected to another session bus before testenv started the private one: " +
			"call testenv.Keyring (or Bus) before anything in the process uses D-Bus")
	}

	service := "hopd-testenv-probe-" + randomHex(8)
	done := make(chan error, 1)
	go func() { done <- roundTrip(service) }()
	select {
	case err := <-done:
		return err
	case <-time.After(partTimeout):
		// go-keyring waits forever on a prompt; there is nobody to answer.
		return fmt.Errorf("a keyring round trip did not finish within %s: is the login keyring locked (waiting for a password prompt)?", partTimeout)
	}
}

func roundTrip(service string) error {
	const user, secret = "probe", "probe-secret"
	if err := keyring.Set(service, user, secret); err != nil {
		return fmt.Errorf("cannot store a probe item in the test keyring: %w", err)
	}
	got, err := keyring.Get(service, user)
	if err != nil {
		return fmt.Errorf("cannot read the probe item back from the test keyring: %w", err)
	}
	if got != secret {
		return errors.New("the test keyring returned a different value for the probe item than was stored")
	}
	if err := keyring.Delete(service, user); err != nil {
		return fmt.Errorf("cannot delete the probe item from the test keyring: %w", err)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail (Go 1.24+)
	return hex.EncodeToString(b)
}
