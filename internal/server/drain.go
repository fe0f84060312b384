package server

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// freshConns tracks connections from accept until their first request has
// been answered. net/http's Shutdown drops, unanswered, a request it reads
// after shutdown began; on a reused connection clients retry, but on one
// they just opened they have no reason to, and the request is lost. So
// shutdown closes the listeners first, waits for these connections, and
// only then calls Shutdown.
type freshConns struct {
	// n is len(m), so that the hook, which net/http calls twice per
	// request, takes the lock only while some connection is fresh: on
	// keep-alive connections past their first answer it has nothing to do.
	n  atomic.Int64
	mu sync.Mutex
	m  map[net.Conn]struct{}
}

// track is the http.Server's ConnState hook.
func (f *freshConns) track(c net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		f.mu.Lock()
		if f.m == nil {
			f.m = map[net.Conn]struct{}{}
		}
		f.m[c] = struct{}{}
		f.n.Store(int64(len(f.m)))
		f.mu.Unlock()
	case http.StateIdle, http.StateClosed, http.StateHijacked:
		// c's own StateNew came before on the accepting goroutine, which
		// started c's, so a fresh c is always counted here.
		if f.n.Load() == 0 {
			return
		}
		f.mu.Lock()
		delete(f.m, c)
		f.n.Store(int64(len(f.m)))
		f.mu.Unlock()
	}
}

// wait returns once no connection waits for its first answer, or when ctx
// ends (a client that connected and never sent a request).
func (f *freshConns) wait(ctx context.Context) {
	for {
		f.mu.Lock()
		n := len(f.m)
		f.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}
