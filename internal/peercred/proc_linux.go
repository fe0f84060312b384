//go:build linux

package peercred

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Processes finds the processes at the client end of conns: the inode
// of each client socket from the kernel, then the process that has
// that socket open among /proc/*/fd. Processes of other users cannot be
// read, and do not need to be: the server refuses their connections.
// Connections whose process has gone are left out. It reads /proc, so
// callers keep it off the request path.
func Processes(conns []Conn) map[Conn]Process {
	// The kernel names each client socket's inode (sock_diag, which
	// SameUser uses too); /proc/PID/fd then names its process.
	byInode := map[uint64]Conn{}
	for _, c := range conns {
		if inode, err := socketInode(c.Remote, c.Local); err == nil && inode != 0 {
			byInode[inode] = c
		}
	}
	found := map[Conn]Process{}
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
				found[c] = Process{PID: n, Name: comm(pid)}
				delete(byInode, inode)
			}
		}
		if len(byInode) == 0 {
			break
		}
	}
	return found
}

// comm is the process's command name, as ps shows it.
func comm(pid string) string {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "comm"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// ProcessByPID is the process with that pid when it is still there and
// this user's: how the dashboard names the program that ran `hopd creds`,
// which has exited by the time a lookup of its connection could run.
func ProcessByPID(pid int) (Process, bool) {
	if pid <= 0 {
		return Process{}, false
	}
	p := strconv.Itoa(pid)
	fi, err := os.Stat(filepath.Join("/proc", p))
	if err != nil {
		return Process{}, false
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Getuid() {
		return Process{}, false
	}
	name := comm(p)
	return Process{PID: pid, Name: name}, name != ""
}
