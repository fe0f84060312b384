package server

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
)

func TestRefusalLogWritesOneLinePerUserPerMinute(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	r := newRefusalLog(slog.New(slog.NewTextHandler(&buf, nil)), func() time.Time { return now })
	for range 1000 {
		r.note(65534, "refusing connections from another user", nil)
	}
	r.note(1001, "refusing connections from another user", nil)
	if n := strings.Count(buf.String(), "\n"); n != 2 {
		t.Fatalf("1001 refusals from two users in one minute wrote %d lines; want 2:\n%s", n, buf.String())
	}
	now = now.Add(time.Minute)
	r.note(65534, "refusing connections from another user", nil)
	last := buf.String()[strings.LastIndex(strings.TrimSpace(buf.String()), "\n")+1:]
	if !strings.Contains(last, "uid=65534") || !strings.Contains(last, "refused_since_last_line=999") {
		t.Errorf("the next minute's line is %q; want uid=65534 and the 999 refusals it did not write", last)
	}
}

func TestPeerListenerCapsOpenConnections(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	s := newTestServer(t, newFakeSource(), func(o *Options) { o.PeerCheck = true })
	ln := s.guardListener(raw)
	accepted := make(chan net.Conn, MaxConns+10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	var clients []net.Conn
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for range MaxConns + 5 {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	waitFor(t, func() bool { return len(accepted) == MaxConns })
	time.Sleep(50 * time.Millisecond)
	if n := len(accepted); n != MaxConns {
		t.Fatalf("accepted %d connections; want the cap, %d", n, MaxConns)
	}
	// One closes: the next is accepted.
	(<-accepted).Close()
	c, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	clients = append(clients, c)
	waitFor(t, func() bool { return len(accepted) == MaxConns })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
