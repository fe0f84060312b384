package testenv

import (
	"errors"
	"net"
	"strconv"
	"testing"
)

// recorder is a testing.TB that records Skipf and Fatalf instead of stopping
// the test, so that Missing can be checked in both modes.
type recorder struct {
	testing.TB
	skipped, failed bool
}

func (r *recorder) Helper()                          {}
func (r *recorder) Skipf(format string, args ...any) { r.skipped = true }
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = true
}

func TestMissingSkipsOutsideCI(t *testing.T) {
	t.Setenv("CI", "")
	r := &recorder{TB: t}
	Missing(r, "a part", errors.New("not installed"))
	if !r.skipped || r.failed {
		t.Errorf("outside CI, Missing skipped=%v failed=%v; want a skip", r.skipped, r.failed)
	}
}

func TestMissingFailsInCI(t *testing.T) {
	t.Setenv("CI", "true")
	r := &recorder{TB: t}
	Missing(r, "a part", errors.New("not installed"))
	if !r.failed {
		t.Errorf("under CI=true, Missing skipped=%v failed=%v; want a failure", r.skipped, r.failed)
	}
}

func TestFreePortCanBeBound(t *testing.T) {
	port := FreePort(t)
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("FreePort returned %d, which cannot be bound: %v", port, err)
	}
	l.Close()
}
