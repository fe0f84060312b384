package testenv

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// fatalRecorder records Fatalf's message instead of stopping the test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Helper() {}
func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
}

func TestEventuallyReturnsOnceTheConditionHolds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		calls := 0
		r := &fatalRecorder{TB: t}
		Eventually(r, time.Minute, func() bool { calls++; return time.Since(start) >= time.Second }, "a second passes")
		if r.msg != "" {
			t.Fatalf("Eventually failed: %s", r.msg)
		}
		if took := time.Since(start); took < time.Second || took > time.Second+pollMax {
			t.Errorf("Eventually returned after %s; want within %s of the condition holding at 1s", took, pollMax)
		}
		// 5+10+20+40+80 ms, then every 100 ms: about 14 looks in a second,
		// not a busy loop.
		if calls < 10 || calls > 20 {
			t.Errorf("the condition was called %d times in a second", calls)
		}
	})
}

func TestEventuallyFailsAtTheTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		r := &fatalRecorder{TB: t}
		Eventually(r, 3*time.Second, func() bool { return false }, "the sky falls")
		if took := time.Since(start); took != 3*time.Second {
			t.Errorf("Eventually gave up after %s; want exactly the 3s timeout", took)
		}
		if r.msg != "not within 3s: the sky falls" {
			t.Errorf("failure message = %q", r.msg)
		}
	})
}

func TestEventuallyWhySaysWhatItSawLast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := 0
		r := &fatalRecorder{TB: t}
		EventuallyWhy(r, time.Second, func() string { n++; return fmt.Sprintf("look %d", n) })
		if want := fmt.Sprintf("look %d", n); !strings.HasSuffix(r.msg, want) {
			t.Errorf("failure message = %q; want it to end with the last look, %q", r.msg, want)
		}
		r.msg = ""
		EventuallyWhy(r, time.Second, func() string { return "" })
		if r.msg != "" {
			t.Errorf("a condition that holds at once failed: %s", r.msg)
		}
	})
}

func TestPollChecksOnceMoreAtTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		// True only from 250ms: the last wait is cut to the deadline and
		// the condition looked at once more there.
		if !Poll(250*time.Millisecond, func() bool { return time.Since(start) >= 250*time.Millisecond }) {
			t.Error("Poll missed a condition that held at its deadline")
		}
	})
}
