//go:build linux

package server

import (
	"net"
	"os"
	"testing"
)

func TestDiagSocketUIDFindsTheClientSocket(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	c, _ := net.Dial("tcp", ln.Addr().String())
	defer c.Close()
	s, _ := ln.Accept()
	defer s.Close()
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
