//go:build linux

package dashboard

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// findProcesses finds the processes at the client end of conns: the inode
// of each client socket from /proc/net/tcp{,6}, then the process that has
// that socket open among /proc/*/fd. Processes of other users cannot be
// read, and do not need to be: the server refuses their connections.
// Connections whose process has gone are left out.
func findProcesses(conns []conn) map[conn]process {
	want := map[string]conn{} // "local remote" as /proc prints the client's socket
	for _, c := range conns {
		cl := netip.AddrPortFrom(c.client.Addr().Unmap(), c.client.Port())
		sv := netip.AddrPortFrom(c.server.Addr().Unmap(), c.server.Port())
		if cl.Addr().Is4() && sv.Addr().Is4() {
			want[procAddr4(cl)+" "+procAddr4(sv)] = c
		}
		// A dual-stack client socket lists IPv4 peers in mapped form in tcp6.
		want[procAddr6(cl)+" "+procAddr6(sv)] = c
	}
	byInode := map[uint64]conn{}
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		scanSockets(name, want, byInode)
	}
	found := map[conn]process{}
	if len(byInode) == 0 {
		return found
	}
	procs, err := os.Open("/proc")
	if err != nil {
		return found
	}
	pids, _ := procs.Readdirnames(-1)
	procs.Close()
	for _, pid := range pids {
		if pid[0] < '0' || pid[0] > '9' {
			continue
		}
		fdDir := filepath.Join("/proc", pid, "fd")
		d, err := os.Open(fdDir)
		if err != nil {
			continue // another user's, or gone
		}
		fds, _ := d.Readdirnames(-1)
		d.Close()
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(fdDir, fd))
			if err != nil || !strings.HasPrefix(link, "socket:[") {
				continue
			}
			inode, err := strconv.ParseUint(strings.TrimSuffix(link[len("socket:["):], "]"), 10, 64)
			if err != nil {
				continue
			}
			if c, ok := byInode[inode]; ok {
				n, _ := strconv.Atoi(pid)
				found[c] = process{PID: n, Name: comm(pid)}
				delete(byInode, inode)
			}
		}
		if len(byInode) == 0 {
			break
		}
	}
	return found
}

// scanSockets adds to byInode the inodes of the sockets in want that the
// /proc/net table at path lists as connected.
func scanSockets(path string, want map[string]conn, byInode map[uint64]conn) {
	f, err := os.Open(path)
	if err != nil {
		return // no IPv6 in this kernel
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // the header
	for sc.Scan() {
		// sl, local, remote, state, tx:rx queue, timer, retransmits, uid, timeout, inode
		fields := bytes.Fields(sc.Bytes())
		if len(fields) < 10 {
			continue
		}
		if st := string(fields[3]); st == "06" || st == "0A" { // TIME_WAIT, LISTEN
			continue
		}
		c, ok := want[strings.ToUpper(string(fields[1]))+" "+strings.ToUpper(string(fields[2]))]
		if !ok {
			continue
		}
		if inode, err := strconv.ParseUint(string(fields[9]), 10, 64); err == nil && inode != 0 {
			byInode[inode] = c
		}
	}
}

// comm is the process's command name, as ps shows it.
func comm(pid string) string {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "comm"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// procAddr4 prints an IPv4 address and port as /proc/net/tcp does: the
// address as the u32 in memory (network order) printed with %08X, the port
// in host order.
func procAddr4(ap netip.AddrPort) string {
	a := ap.Addr().As4()
	return fmt.Sprintf("%08X:%04X", binary.NativeEndian.Uint32(a[:]), ap.Port())
}

// procAddr6 is procAddr4 for /proc/net/tcp6: four such words.
func procAddr6(ap netip.AddrPort) string {
	a := ap.Addr().As16()
	return fmt.Sprintf("%08X%08X%08X%08X:%04X",
		binary.NativeEndian.Uint32(a[0:]), binary.NativeEndian.Uint32(a[4:]),
		binary.NativeEndian.Uint32(a[8:]), binary.NativeEndian.Uint32(a[12:]), ap.Port())
}
