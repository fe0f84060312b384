//go:build linux

package peercred

import (
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hopd/hopd/internal/testenv"
)

// Sample /proc/net content as a little-endian kernel prints it. The client
// 127.0.0.1:51000 (C738) talks to the server 127.0.0.1:9911 (26B7).
const sampleTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:26B7 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 100 1 0000000000000000 100 0 0 10 0
   1: 0100007F:C738 0100007F:26B7 06 00000000:00000000 03:00000F3A 00000000     0        0 0 3 0000000000000000
   2: 0100007F:26B7 0100007F:C738 01 00000000:00000000 00:00000000 00000000  1000        0 101 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:C738 0100007F:26B7 01 00000000:00000000 00:00000000 00000000  4242        0 102 1 0000000000000000 20 4 30 10 -1
   4: 0100007F:C739 0100007F:26B7 01 00000000:00000000 00:00000000 00000000  1000        0 103 1 0000000000000000 20 4 30 10 -1
`

// [::1]:51000 -> [::1]:9911, and the IPv4-mapped ::ffff:127.0.0.1:51002.
const sampleTCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:C738 00000000000000000000000001000000:26B7 01 00000000:00000000 00:00000000 00000000  4343        0 200 1 0000000000000000 20 4 30 10 -1
   1: 0000000000000000FFFF00000100007F:C73A 0000000000000000FFFF00000100007F:26B7 01 00000000:00000000 00:00000000 00000000  4444        0 201 1 0000000000000000 20 4 30 10 -1
`

func littleEndian(t *testing.T) {
	t.Helper()
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], 1)
	if b[0] != 1 {
		t.Skip("sample /proc content is little-endian")
	}
}

func TestProcAddr(t *testing.T) {
	littleEndian(t)
	for ap, want := range map[string]string{
		"127.0.0.1:9911":       "0100007F:26B7",
		"10.1.2.3:80":          "0302010A:0050",
		"[::1]:9911":           "00000000000000000000000001000000:26B7",
		"[::ffff:127.0.0.1]:1": "0000000000000000FFFF00000100007F:0001",
	} {
		a := netip.MustParseAddrPort(ap)
		got := procAddr6(a)
		if a.Addr().Is4() {
			got = procAddr(a)
		}
		if got != want {
			t.Errorf("%s -> %s, want %s", ap, got, want)
		}
	}
}

func TestFindSocketUID(t *testing.T) {
	littleEndian(t)
	tests := []struct {
		name, content, client, server string
		uid                           int
		found                         bool
	}{
		{"established client socket, skipping TIME_WAIT", sampleTCP, "127.0.0.1:51000", "127.0.0.1:9911", 4242, true},
		{"the other connection", sampleTCP, "127.0.0.1:51001", "127.0.0.1:9911", 1000, true},
		{"the server's own socket is not the client's", sampleTCP, "127.0.0.1:9911", "127.0.0.1:51002", -1, false},
		{"absent", sampleTCP, "127.0.0.1:51005", "127.0.0.1:9911", -1, false},
		{"ipv6", sampleTCP6, "[::1]:51000", "[::1]:9911", 4343, true},
		{"header only", "sl local_address rem_address st\n", "127.0.0.1:51000", "127.0.0.1:9911", -1, false},
		{"short lines", "h\n 1: 0100007F:C738 0100007F:26B7\n", "127.0.0.1:51000", "127.0.0.1:9911", -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := netip.MustParseAddrPort(tt.client), netip.MustParseAddrPort(tt.server)
			fmtAddr := procAddr
			if strings.Contains(tt.content, "remote_address") {
				fmtAddr = procAddr6
			}
			uid, found, err := findSocketUID(strings.NewReader(tt.content), fmtAddr(c), fmtAddr(s))
			if err != nil || uid != tt.uid || found != tt.found {
				t.Errorf("= %d, %v, %v; want %d, %v", uid, found, err, tt.uid, tt.found)
			}
		})
	}
}

// socketUID looks in tcp6 for IPv4 connections too, where dual-stack
// client sockets list them in mapped form.
func TestSocketUIDMapped(t *testing.T) {
	littleEndian(t)
	dir := t.TempDir()
	for name, content := range map[string]string{"tcp": sampleTCP, "tcp6": sampleTCP6} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for client, want := range map[string]int{"127.0.0.1:51000": 4242, "127.0.0.1:51001": 1000, "127.0.0.1:51002": 4444, "[::ffff:127.0.0.1]:51002": 4444, "[::1]:51000": 4343} {
		srv := "127.0.0.1:9911"
		if strings.HasPrefix(client, "[::1]") {
			srv = "[::1]:9911"
		}
		uid, err := socketUID(dir, netip.MustParseAddrPort(client), netip.MustParseAddrPort(srv))
		if err != nil || uid != want {
			t.Errorf("%s: uid %d, %v; want %d", client, uid, err, want)
		}
	}
	if _, err := socketUID(dir, netip.MustParseAddrPort("127.0.0.1:1"), netip.MustParseAddrPort("127.0.0.1:9911")); err == nil {
		t.Error("no error for a socket that is not there")
	}
}

// TestSameUserReal looks up a real loopback connection's owner: us.
func TestSameUserReal(t *testing.T) {
	for _, network := range testenv.LoopbackNetworks {
		t.Run(network, func(t *testing.T) {
			_, conn := testenv.LoopbackPair(t, network)
			if err := SameUser(conn.LocalAddr(), conn.RemoteAddr()); err != nil {
				t.Errorf("SameUser on our own connection: %v", err)
			}
		})
	}
}
