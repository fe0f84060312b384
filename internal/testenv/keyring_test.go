package testenv

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

func TestKeyringRoundTripInProcess(t *testing.T) {
	Keyring(t)
	service := "hopd-testenv-" + randomHex(6)
	if err := keyring.Set(service, "alice", "s3cret"); err != nil {
		t.Fatalf("Set: %v", err)
	}
	got, err := keyring.Get(service, "alice")
	if err != nil || got != "s3cret" {
		t.Fatalf("Get = %q, %v; want the stored value", got, err)
	}
	if err := keyring.Delete(service, "alice"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := keyring.Get(service, "alice"); err != keyring.ErrNotFound {
		t.Fatalf("Get after Delete: %v; want keyring.ErrNotFound", err)
	}
}

// A child process given only the environment that Keyring returns reaches
// the same keyring: it reads what the parent stored and stores an answer.
func TestKeyringRoundTripFromChildProcess(t *testing.T) {
	env := Keyring(t)
	service := "hopd-testenv-" + randomHex(6)
	t.Cleanup(func() { _ = keyring.DeleteAll(service) })
	if err := keyring.Set(service, "from-parent", "hello child"); err != nil {
		t.Fatalf("Set: %v", err)
	}

	// Drop what the parent's environment says about the bus, so that only
	// the returned env can lead the child to it.
	childEnv := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") || strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "XDG_RUNTIME_DIR=")
	})
	childEnv = append(childEnv, env...)
	childEnv = append(childEnv, "HOPD_TESTENV_HELPER=keyring", "HOPD_TESTENV_SERVICE="+service)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.v")
	cmd.Env = childEnv
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the child process failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "child read: hello child") {
		t.Errorf("the child did not read the parent's item; its output:\n%s", out)
	}
	got, err := keyring.Get(service, "from-child")
	if err != nil || got != "hello parent" {
		t.Errorf("reading the child's item: %q, %v; want \"hello parent\"", got, err)
	}
}

// TestHelperProcess is the child of TestKeyringRoundTripFromChildProcess;
// run directly it does nothing (and does not skip, since CI counts skips).
func TestHelperProcess(t *testing.T) {
	if os.Getenv("HOPD_TESTENV_HELPER") != "keyring" {
		return
	}
	service := os.Getenv("HOPD_TESTENV_SERVICE")
	got, err := keyring.Get(service, "from-parent")
	if err != nil {
		t.Fatalf("child: Get: %v", err)
	}
	t.Logf("child read: %s", got)
	if err := keyring.Set(service, "from-child", "hello parent"); err != nil {
		t.Fatalf("child: Set: %v", err)
	}
}
