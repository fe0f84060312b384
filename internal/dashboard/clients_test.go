package dashboard

import (
	"net/netip"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/server"
)

// With more keep-alive clients than the page shows, every request looks
// like a new client; a connection's process must still be looked up at
// most once, not on every request.
func TestClientsLookUpEachConnectionOnce(t *testing.T) {
	c := newClients(time.Now)
	lookups := map[conn]int{}
	c.find = func(todo []conn) map[conn]process {
		found := map[conn]process{}
		for _, k := range todo {
			lookups[k]++
			found[k] = process{PID: 100 + int(k.client.Port()), Name: "sdk"}
		}
		return found
	}
	local := netip.MustParseAddrPort("127.0.0.1:9911")
	peers := make([]peerInfo, 3*keepClients)
	for i := range peers {
		peers[i] = peerInfo{Remote: netip.AddrPortFrom(local.Addr(), uint16(40000+i)), Local: local}
	}
	for round := 0; round < 4; round++ {
		for _, p := range peers {
			c.record("production", "ecs", p)
		}
		c.lookUp()
	}
	for _, p := range peers {
		if n := lookups[conn{p.Remote, p.Local}]; n > 1 {
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

type peerInfo = server.PeerInfo // short for the table above
