package testenv

import (
	"testing"
	"time"
)

// pollFirst and pollMax bound the gap between two looks at a condition:
// short at first, for things that are nearly there, then longer, so a slow
// condition does not keep a busy machine busier.
const (
	pollFirst = 5 * time.Millisecond
	pollMax   = 100 * time.Millisecond
)

// Poll calls cond until it returns true or timeout has passed, and reports
// whether it did. It is for helpers that report a failure their own way;
// tests use Eventually. Inside a testing/synctest bubble the waits are on
// the bubble's clock.
func Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	gap := pollFirst
	for {
		if cond() {
			return true
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		t := time.NewTimer(min(gap, left))
		<-t.C
		gap = min(2*gap, pollMax)
	}
}

// Eventually fails the test with msg unless cond returns true within
// timeout.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, msg string) {
	t.Helper()
	if !Poll(timeout, cond) {
		t.Fatalf("not within %s: %s", timeout, msg)
	}
}

// EventuallyWhy is Eventually for a condition that can say what is still
// wrong: cond returns "" once it holds, and the test fails with what it
// said last.
func EventuallyWhy(t testing.TB, timeout time.Duration, cond func() string) {
	t.Helper()
	var why string
	if !Poll(timeout, func() bool { why = cond(); return why == "" }) {
		t.Fatalf("not within %s: %s", timeout, why)
	}
}
