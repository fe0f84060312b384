package main

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// testClockEnv names a test hook, not a setting: a file holding a Go
// duration ("2h", "-5m", "0s") that the broker adds to the wall clock when
// it judges expiry. The fault tests and `make bench` change the file while
// hopd runs to simulate a laptop that slept for hours, or an hour of use
// in seconds, which cannot be done with the real clock. Unset, hopd reads
// the real clock directly and starts nothing. Even set, it cannot make
// hopd serve expired credentials: the server checks expiry against the
// real clock as well.
const testClockEnv = "HOPD_TEST_CLOCK_OFFSET_FILE"

// testClockPoll is how often the file is read; tests wait for the
// "test clock offset" log line instead of guessing.
const testClockPoll = 20 * time.Millisecond

// testClock returns the broker's clock: nil (the real one) unless the test
// hook is set, in which case it is the real clock plus the offset in the
// file, re-read in the background until ctx is done.
func testClock(ctx context.Context, log *slog.Logger) func() time.Time {
	path := os.Getenv(testClockEnv)
	if path == "" {
		return nil
	}
	log.Warn("test hook: the broker's clock is offset by the duration in "+testClockEnv+"; unset it outside tests", "file", path)
	var offset atomic.Int64
	read := func() {
		data, err := os.ReadFile(path)
		if err != nil {
			return // a test between writes; keep the last offset
		}
		d, err := time.ParseDuration(strings.TrimSpace(string(data)))
		if err != nil {
			return
		}
		if old := time.Duration(offset.Swap(int64(d))); old != d {
			log.Info("test clock offset", "offset", d.String())
		}
	}
	read()
	go func() {
		t := time.NewTicker(testClockPoll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				read()
			}
		}
	}()
	return func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
}

// testNow is the wall clock plus the test hook's offset, read once, for a
// command that judges an age (the doctor's key age); the real clock when
// the hook is unset.
func testNow() time.Time {
	now := time.Now()
	path := os.Getenv(testClockEnv)
	if path == "" {
		return now
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return now
	}
	d, err := time.ParseDuration(strings.TrimSpace(string(data)))
	if err != nil {
		return now
	}
	return now.Add(d)
}
