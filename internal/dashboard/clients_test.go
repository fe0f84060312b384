package dashboard

import (
	"net/netip"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/peercred"
)

// With more keep-alive clients than the page shows, every request looks
// like a new client; a connection's process must still be looked up at
// most once, not on every request.
func TestClientsLookUpEachConnectionOnce(t *testing.T) {
	c := newClients(time.Now)
	lookups := map[peercred.Conn]int{}
	c.find = func(todo []peercred.Conn) map[peercred.Conn]peercred.Process {
		found := map[peercred.Conn]peercred.Process{}
		for _, k := range todo {
			lookups[k]++
			found[k] = peercred.Process{PID: 100 + int(k.Remote.Port()), Name: "sdk"}
		}
		return found
	}
	local := netip.MustParseAddrPort("127.0.0.1:9911")
	peers := make([]peercred.Conn, 3*keepClients)
	for i := range peers {
		peers[i] = peercred.Conn{Remote: netip.AddrPortFrom(local.Addr(), uint16(40000+i)), Local: local}
	}
	for round := 0; round < 4; round++ {
		for _, p := range peers {
			c.record("production", "ecs", p, 0)
		}
		c.lookUp()
	}
	for _, p := range peers {
		if n := lookups[p]; n > 1 {
			t.Errorf("connection %s looked up %d times, want at most 1", p.Remote, n)
		}
	}
	views := c.recent("production")
	if len(views) != keepClients {
		t.Fatalf("%d recent clients, want %d", len(views), keepClients)
	}
	for _, v := range views {
		if v.PID == 0 || v.Process != "sdk" {
			t.Errorf("recent client %+v has no process", v)
		}
	}
}

// A credential_process client is the program that ran `hopd creds`: its
// runs, each a new connection, count as one client named after it.
func TestCredentialProcessClient(t *testing.T) {
	c := newClients(time.Now)
	local := netip.MustParseAddrPort("127.0.0.1:9911")
	for i := range 3 {
		c.record("production", "credential_process", peercred.Conn{Remote: netip.AddrPortFrom(local.Addr(), uint16(50000+i)), Local: local}, os.Getpid())
	}
	c.lookUp()
	views := c.recent("production")
	if len(views) != 1 || views[0].Requests != 3 || views[0].Endpoint != "credential_process" {
		t.Fatalf("three runs of hopd creds from one program: %+v; want one client with 3 requests", views)
	}
	if runtime.GOOS == "linux" && (views[0].PID != os.Getpid() || views[0].Process == "") {
		t.Errorf("the client is %+v; want this test's process, pid %d", views[0], os.Getpid())
	}
}
