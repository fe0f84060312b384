package server

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// freshConns tracks connections from accept until their first request has
// been answered. net/http's Shutdown drops, unanswered, a request it reads
// after shutdown began; on a reused connection clients retry, but on one
// they just opened they have no reason to, and the request is lost. So
// shutdown closes the listeners first, waits for these connections, and
// only then calls Shutdown.
type freshConns struct {
	mu sync.Mutex
	m  map[net.Conn]struct{}
}

// track is the http.Server's ConnState hook.
func (f *freshConns) track(c net.Conn, st http.ConnState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch st {
	case http.StateNew:
		if f.m == nil {
			f.m = map[net.Conn]struct{}{}
		}
		f.m[c] = struct{}{}
	case http.StateIdle, http.StateClosed, http.StateHijacked:
		delete(f.m, c)
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
