//go:build linux

package peercred

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
)

// SameUser returns nil when the process at the other end of the connection
// (local = our address, remote = the client's) runs as our own user.
func SameUser(local, remote net.Addr) error {
	uid, _, err := PeerUID(local, remote)
	if err != nil {
		return err
	}
	if me := os.Getuid(); uid != me {
		return fmt.Errorf("the connection from %s belongs to uid %d, not to hopd's uid %d", remote, uid, me)
	}
	return nil
}

// PeerUID is the user of the socket at the other end of a loopback TCP
// connection this process holds, at either end: a server learns its
// client's user, and a client learns the user of the program that
// accepted it, which the kernel gives the listener's owner.
func PeerUID(local, remote net.Addr) (uid int, known bool, err error) {
	l, ok1 := local.(*net.TCPAddr)
	r, ok2 := remote.(*net.TCPAddr)
	if !ok1 || !ok2 {
		return -1, false, fmt.Errorf("cannot check the user of a %s connection", local.Network())
	}
	uid, err = diagUID(r.AddrPort(), l.AddrPort())
	if errors.Is(err, errDiagUnsupported) {
		uid, err = socketUID("/proc/net", r.AddrPort(), l.AddrPort())
	}
	if err != nil {
		return -1, false, err
	}
	return uid, true, nil
}

// diagUID asks sock_diag for the client's socket, IPv4 first, then a
// dual-stack socket's mapped form.
func diagUID(client, server netip.AddrPort) (int, error) {
	client = netip.AddrPortFrom(client.Addr().Unmap(), client.Port())
	server = netip.AddrPortFrom(server.Addr().Unmap(), server.Port())
	uid, found, err := diagSocketUID(client, server)
	if err == nil && !found && client.Addr().Is4() {
		uid, found, err = diagSocketUID(mapped(client), mapped(server))
	}
	if err != nil {
		return -1, err
	}
	if !found {
		return -1, fmt.Errorf("cannot tell which user connected: no socket %s -> %s", client, server)
	}
	return uid, nil
}

// socketUID finds the owner of the socket whose local end is client and
// whose remote end is server: that is the client's socket, not ours.
func socketUID(procNet string, client, server netip.AddrPort) (int, error) {
	client = netip.AddrPortFrom(client.Addr().Unmap(), client.Port())
	server = netip.AddrPortFrom(server.Addr().Unmap(), server.Port())
	type place struct {
		file           string
		client, server string
	}
	var places []place
	if client.Addr().Is4() && server.Addr().Is4() {
		places = append(places, place{"tcp", procAddr(client), procAddr(server)})
	}
	// A dual-stack client socket shows IPv4 peers as ::ffff:a.b.c.d in tcp6.
	places = append(places, place{"tcp6", procAddr6(client), procAddr6(server)})
	for _, p := range places {
		f, err := os.Open(filepath.Join(procNet, p.file))
		if errors.Is(err, os.ErrNotExist) {
			continue // no IPv6 in this kernel
		}
		if err != nil {
			return -1, fmt.Errorf("cannot tell which user connected: %w", err)
		}
		uid, found, err := findSocketUID(f, p.client, p.server)
		f.Close()
		if err != nil {
			return -1, fmt.Errorf("cannot tell which user connected: reading %s: %w", f.Name(), err)
		}
		if found {
			return uid, nil
		}
	}
	return -1, fmt.Errorf("cannot tell which user connected: no socket %s -> %s in %s", client, server, procNet)
}

// procAddr formats an IPv4 address and port as /proc/net/tcp prints them:
// the address is the in-memory (network order) u32 printed with %08X, so
// on little-endian machines its bytes appear reversed; the port is in host
// order.
func procAddr(ap netip.AddrPort) string {
	a := ap.Addr().As4()
	return fmt.Sprintf("%08X:%04X", binary.NativeEndian.Uint32(a[:]), ap.Port())
}

// procAddr6 is procAddr for /proc/net/tcp6: four u32 words, each printed
// like the IPv4 one; IPv4 addresses appear in their mapped form.
func procAddr6(ap netip.AddrPort) string {
	a := ap.Addr().As16()
	return fmt.Sprintf("%08X%08X%08X%08X:%04X",
		binary.NativeEndian.Uint32(a[0:]), binary.NativeEndian.Uint32(a[4:]),
		binary.NativeEndian.Uint32(a[8:]), binary.NativeEndian.Uint32(a[12:]), ap.Port())
}

// findSocketUID scans /proc/net/tcp{,6} content for the line with the given
// local and remote addresses (as procAddr formats them) and returns its uid.
// TIME_WAIT and LISTEN entries are skipped: the kernel shows uid 0 for the
// former and the latter has no peer.
func findSocketUID(r io.Reader, local, remote string) (uid int, found bool, err error) {
	sc := bufio.NewScanner(r)
	header := true
	for sc.Scan() {
		if header { // "sl local_address rem_address st ... uid ..."
			header = false
			continue
		}
		var f [8][]byte
		n := 0
		for line := sc.Bytes(); n < len(f); n++ {
			line = bytes.TrimLeft(line, " ")
			i := bytes.IndexByte(line, ' ')
			if i < 0 {
				f[n] = line
				n++
				break
			}
			f[n], line = line[:i], line[i:]
		}
		if n < len(f) {
			continue
		}
		// Fields: sl, local, remote, state, tx:rx queue, timer, retransmits, uid.
		if !bytes.EqualFold(f[1], []byte(local)) || !bytes.EqualFold(f[2], []byte(remote)) {
			continue
		}
		if st := string(f[3]); st == "06" || st == "0A" {
			continue
		}
		uid, err := strconv.Atoi(string(f[7]))
		if err != nil {
			return -1, false, fmt.Errorf("bad uid %q", f[7])
		}
		return uid, true, nil
	}
	return -1, false, sc.Err()
}
