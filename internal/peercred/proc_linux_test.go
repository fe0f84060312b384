//go:build linux

package peercred

import (
	"net"
	"net/netip"
	"os"
	"testing"

	"github.com/hopd/hopd/internal/testenv"
)

// Processes names the process at the client end of a real loopback
// connection: this test, by its pid and command name.
func TestProcessesReal(t *testing.T) {
	for _, network := range testenv.LoopbackNetworks {
		t.Run(network, func(t *testing.T) {
			_, sv := testenv.LoopbackPair(t, network)
			c := Conn{Remote: sv.RemoteAddr().(*net.TCPAddr).AddrPort(), Local: sv.LocalAddr().(*net.TCPAddr).AddrPort()}
			gone := Conn{Remote: netip.MustParseAddrPort("127.0.0.1:1"), Local: c.Local}
			found := Processes([]Conn{c, gone})
			comm, _ := os.ReadFile("/proc/self/comm")
			if p := found[c]; p.PID != os.Getpid() || p.Name+"\n" != string(comm) {
				t.Errorf("Processes = %+v for our own connection; want pid %d, name %q", p, os.Getpid(), comm)
			}
			if p, ok := found[gone]; ok {
				t.Errorf("Processes found %+v for a connection that does not exist", p)
			}
		})
	}
}
