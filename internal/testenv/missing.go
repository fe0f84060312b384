package testenv

import (
	"net"
	"os"
	"testing"
)

// InCI reports whether the tests run in CI (CI=true), where a missing part
// is a failure rather than a reason to skip.
func InCI() bool {
	return os.Getenv("CI") == "true"
}

// Missing reports that the part named what is not available on this
// machine, because of err. The test is skipped, or fails under CI=true.
func Missing(t testing.TB, what string, err error) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s is missing, and CI=true forbids skipping: %v", what, err)
	}
	t.Skipf("skipping: %s is missing: %v", what, err)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago. Another
// process may take it before the caller binds it; the window is small enough
// for tests.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("cannot find a free loopback port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
