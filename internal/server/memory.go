package server

import (
	"context"
	"log/slog"
	"time"
)

// trimFirst is when the first trim comes: start-up is over by then.
const trimFirst = 10 * time.Second

// trimEvery is how often the daemon gives back the pages of its own
// binary that it does not use. A minute keeps what a refresh or a page
// view touched from lingering, and costs a fraction of a millisecond.
const trimEvery = time.Minute

// TrimMemory runs until ctx ends, for the daemon's process alone (it acts
// on the whole process, so handler tests must not call it). Start-up and
// the rare paths (the SDK's first AssumeRole, the page, discovery) touch
// most of the binary's code and constants once, and Linux maps 64 KB
// around every page touched: measured, that was 15 MB of a 23 MB resident
// set, against a working set of 1 to 3 MB while serving. Every trimEvery
// those mappings are dropped; the kernel keeps the pages in its cache, so
// the few the daemon still uses come back on their next use at the cost
// of a minor fault each. Nothing the process wrote is touched.
func TrimMemory(ctx context.Context, log *slog.Logger) {
	t := time.NewTimer(trimFirst)
	defer t.Stop()
	warned := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		t.Reset(trimEvery)
		if err := dropBinaryPages(); err != nil && !warned {
			warned = true
			log.Debug("cannot give back the binary's unused pages; memory use stays higher", "err", err)
		}
	}
}
