//go:build linux

package peercred

import (
	"net"
	"os"
	"testing"

	"github.com/hopd/hopd/internal/testenv"
)

func TestDiagSocketUIDFindsTheClientSocket(t *testing.T) {
	_, s := testenv.LoopbackPair(t, "127.0.0.1:0")
	client := s.RemoteAddr().(*net.TCPAddr).AddrPort()
	server := s.LocalAddr().(*net.TCPAddr).AddrPort()

	uid, found, err := diagSocketUID(client, server)
	if err != nil {
		t.Fatalf("sock_diag: %v", err)
	}
	if !found || uid != os.Getuid() {
		t.Fatalf("sock_diag found=%v uid=%d, want our uid %d", found, uid, os.Getuid())
	}
	// A port that no socket has any more must not be found.
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := ln2.Addr().(*net.TCPAddr).AddrPort()
	ln2.Close()
	if _, found, err := diagSocketUID(client, gone); err != nil || found {
		t.Fatalf("a socket that does not exist: found=%v err=%v", found, err)
	}
}

func BenchmarkPeerCheck(b *testing.B) {
	_, s := testenv.LoopbackPair(b, "127.0.0.1:0")
	b.Run("sock_diag", func(b *testing.B) {
		for b.Loop() {
			if _, err := diagUID(s.RemoteAddr().(*net.TCPAddr).AddrPort(), s.LocalAddr().(*net.TCPAddr).AddrPort()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("proc", func(b *testing.B) {
		for b.Loop() {
			if _, err := socketUID("/proc/net", s.RemoteAddr().(*net.TCPAddr).AddrPort(), s.LocalAddr().(*net.TCPAddr).AddrPort()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
