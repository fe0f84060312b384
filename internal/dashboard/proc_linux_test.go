//go:build linux

package dashboard

import (
	"net"
	"net/netip"
	"os"
	"testing"

	"github.com/hopd/hopd/internal/testenv"
)

// findProcesses names the process at the client end of a real loopback
// connection: this test, by its pid and command name.
func TestFindProcessesReal(t *testing.T) {
	for _, network := range testenv.LoopbackNetworks {
		t.Run(network, func(t *testing.T) {
			_, sv := testenv.LoopbackPair(t, network)
			c := conn{client: sv.RemoteAddr().(*net.TCPAddr).AddrPort(), server: sv.LocalAddr().(*net.TCPAddr).AddrPort()}
			gone := conn{client: netip.MustParseAddrPort("127.0.0.1:1"), server: c.server}
			found := findProcesses([]conn{c, gone})
			comm, _ := os.ReadFile("/proc/self/comm")
			if p := found[c]; p.PID != os.Getpid() || p.Name+"\n" != string(comm) {
				t.Errorf("findProcesses = %+v for our own connection; want pid %d, name %q", p, os.Getpid(), comm)
			}
			if p, ok := found[gone]; ok {
				t.Errorf("findProcesses found %+v for a connection that does not exist", p)
			}
		})
	}
}
