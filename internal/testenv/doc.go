// Package testenv starts the real parts hopd's tests use: moto, a Secret
// Service on a private D-Bus, a counting STS proxy, the hopd binary, and
// hopd daemons in directories of their own; and stand-ins for the AWS
// services moto lacks, IAM Identity Center (SSO) and AWS Sign-In (Signin),
// which hand out moto's own credentials.
//
// Every helper takes a testing.TB, registers its cleanup with t.Cleanup, and
// when a part is missing from the machine it calls Missing: the test is
// skipped with the reason, except under CI=true, where it fails, because CI
// must never pass by skipping.
//
// Two parts live for the whole test process rather than for one test: the
// private session bus with its gnome-keyring (see Keyring) and the hopd
// binary (see BuildHopd). A package that uses them runs its tests through
// Main so that they are stopped and removed when the tests end:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
package testenv

import (
	"os"
	"sync"
	"testing"
)

// Main runs the package's tests, shuts down the process-wide parts they
// started (Shutdown), and exits with the tests' status.
func Main(m *testing.M) {
	code := m.Run()
	Shutdown()
	os.Exit(code)
}

var (
	shutdownMu    sync.Mutex
	shutdownFuncs []func()
)

// atShutdown registers f to run when Shutdown is called. Parts that outlive
// a single test register here instead of with t.Cleanup.
func atShutdown(f func()) {
	shutdownMu.Lock()
	defer shutdownMu.Unlock()
	shutdownFuncs = append(shutdownFuncs, f)
}

// Shutdown stops the process-wide parts (the private bus, gnome-keyring) and
// removes their files, newest first. Main calls it; a TestMain that does not
// use Main must call it after m.Run. Calling it twice is harmless. After
// Shutdown, Keyring and BuildHopd cannot be used again in this process.
func Shutdown() {
	shutdownMu.Lock()
	funcs := shutdownFuncs
	shutdownFuncs = nil
	shutdownMu.Unlock()
	for i := len(funcs) - 1; i >= 0; i-- {
		funcs[i]()
	}
}
