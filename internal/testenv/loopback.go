package testenv

import (
	"net"
	"testing"
)

// LoopbackNetworks are the listen addresses of both loopbacks, for tests
// that must hold for IPv4 and IPv6 alike.
var LoopbackNetworks = []string{"127.0.0.1:0", "[::1]:0"}

// LoopbackPair connects to a listener on addr (one of LoopbackNetworks) and
// returns both ends of the connection, closed when the test ends: a real
// socket of this process for code that asks the kernel about sockets.
func LoopbackPair(t testing.TB, addr string) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		Missing(t, "a loopback address "+addr, err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return client, server
}
