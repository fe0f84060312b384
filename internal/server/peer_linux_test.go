//go:build linux

package server

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/hopd/hopd/internal/testenv"
)

// TestPeerCheckServer runs the check through a real server: our own
// client passes, once per connection.
func TestPeerCheckServer(t *testing.T) {
	src := newFakeSource()
	s := newTestServer(t, src, func(o *Options) { o.PeerCheck = true })
	ts := httptest.NewUnstartedServer(s.Handler())
	ts.Config.ConnContext = s.ConnContext
	ts.Start()
	defer ts.Close()
	before := peerLookups.Load()
	for range 3 {
		req, _ := http.NewRequest("GET", ts.URL+"/creds/production", nil)
		req.Header.Set("Authorization", testToken)
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status = %d, want 200", resp.StatusCode)
		}
	}
	if n := peerLookups.Load() - before; n != 1 {
		t.Errorf("%d /proc lookups for 3 requests on one keep-alive connection, want 1", n)
	}
}

// TestPeerCheckRefusesOtherUser connects as another user (nobody, via
// curl) and expects 403; it needs root to switch users.
func TestPeerCheckRefusesOtherUser(t *testing.T) {
	if os.Getuid() != 0 {
		testenv.Missing(t, "root, to run a client as another user", fmt.Errorf("running as uid %d", os.Getuid()))
	}
	curl, err := exec.LookPath("curl")
	if err != nil {
		testenv.Missing(t, "curl (apt-get install curl), to run a client as another user", err)
	}
	s := newTestServer(t, newFakeSource(), func(o *Options) { o.PeerCheck = true })
	ts := httptest.NewUnstartedServer(s.Handler())
	ts.Config.ConnContext = s.ConnContext
	ts.Start()
	defer ts.Close()
	cmd := exec.Command(curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: "+testToken, ts.URL+"/creds/production")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("curl as nobody: %v", err)
	}
	if string(out) != "403" {
		t.Errorf("another user's request got %s, want 403", out)
	}
}
