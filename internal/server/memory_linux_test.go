package server

import (
	"net/http"
	"testing"
)

// TestDropBinaryPages finds the executable's read-only mappings and gives
// them back, after which the code they hold still runs.
func TestDropBinaryPages(t *testing.T) {
	if err := dropBinaryPages(); err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, newFakeSource())
	w := &discardWriter{h: http.Header{}}
	s.Handler().ServeHTTP(w, authed(request(t, "GET", "/creds/production", testPort, "")))
	if w.code != http.StatusOK {
		t.Fatalf("after dropping the pages the ECS handler answered %d", w.code)
	}
}
