package server

import (
	"net/http"
	"testing"
)

// discardWriter is a ResponseWriter that keeps only the status and reuses
// its header map, so that what AllocsPerRun counts is the handler's own.
type discardWriter struct {
	h    http.Header
	code int
	n    int // bytes written
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
func (w *discardWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// maxECSAllocs is what serving cached credentials over ECS allocates
// today. The handler runs for every SDK call that refreshes credentials;
// if this test fails, find the new allocation, or raise the number with a
// reason in the commit.
const maxECSAllocs = 0

func TestECSCachedAllocations(t *testing.T) {
	s := newTestServer(t, newFakeSource())
	h := s.Handler()
	r := authed(request(t, "GET", "/creds/production", testPort, ""))
	w := &discardWriter{h: http.Header{}}
	got := testing.AllocsPerRun(1000, func() {
		clear(w.h)
		w.code, w.n = 0, 0
		h.ServeHTTP(w, r)
	})
	if w.code != http.StatusOK || w.n < 100 || w.h.Get("Content-Type") != "application/json" {
		t.Fatalf("the ECS handler answered %d with %d bytes of %q; want 200 and the credentials as JSON", w.code, w.n, w.h.Get("Content-Type"))
	}
	t.Logf("%.0f allocations per cached ECS request", got)
	if got > maxECSAllocs {
		t.Errorf("a cached ECS request allocates %.0f times, more than the %d it did", got, maxECSAllocs)
	}
}
