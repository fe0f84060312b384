package dashboard

import (
	"net/netip"
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
			c.record("production", "ecs", p)
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
