//go:build linux

package peercred

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"syscall"
)

// sock_diag asks the kernel about one socket by its exact addresses, where
// /proc/net/tcp lists them all: under a burst of new connections reading the
// whole table per connection costs O(n^2). The constants are from
// linux/sock_diag.h and linux/inet_diag.h.
const (
	sockDiagByFamily = 20
	inetDiagNoCookie = 0xFFFFFFFF
	diagReqLen       = 16 + 56 // nlmsghdr + inet_diag_req_v2
	diagMsgMinLen    = 16 + 72 // nlmsghdr + inet_diag_msg
)

var errDiagUnsupported = errors.New("sock_diag is not available")

// diagSocketUID returns the uid owning the TCP socket whose local end is
// client and remote end is server. found is false when no such socket
// exists in that address family.
func diagSocketUID(client, server netip.AddrPort) (uid int, found bool, err error) {
	uid, _, found, err = diagSocket(client, server)
	return uid, found, err
}

// socketInode returns the inode of the client's socket of a loopback
// connection (client and server as the server sees them), which names the
// process holding it in /proc/PID/fd. It asks sock_diag; where that is not
// available it returns an error and the caller goes without.
func socketInode(client, server netip.AddrPort) (uint64, error) {
	client = netip.AddrPortFrom(client.Addr().Unmap(), client.Port())
	server = netip.AddrPortFrom(server.Addr().Unmap(), server.Port())
	_, inode, found, err := diagSocket(client, server)
	if err == nil && !found && client.Addr().Is4() {
		_, inode, found, err = diagSocket(mapped(client), mapped(server))
	}
	if err != nil {
		return 0, err
	}
	if !found {
		return 0, fmt.Errorf("no socket %s -> %s", client, server)
	}
	return inode, nil
}

// mapped is an IPv4 address and port in the IPv4-mapped IPv6 form that a
// dual-stack socket has.
func mapped(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom16(ap.Addr().As16()), ap.Port())
}

// diagBuf holds one query and its answer. A lookup runs for every
// connection accepted, including each of a flood from another user, so
// the buffers are reused rather than left to the collector: 4 KB of
// garbage per connection made hopd's heap, and RSS, grow under a flood.
type diagBuf struct {
	req    [diagReqLen]byte
	answer [4096]byte
}

var diagBufs = sync.Pool{New: func() any { return new(diagBuf) }}

// diagSocket is the sock_diag query behind diagSocketUID and socketInode.
func diagSocket(client, server netip.AddrPort) (uid int, inode uint64, found bool, err error) {
	family := syscall.AF_INET6
	if client.Addr().Is4() && server.Addr().Is4() {
		family = syscall.AF_INET
	}
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, syscall.NETLINK_INET_DIAG)
	if err != nil {
		return -1, 0, false, fmt.Errorf("%w: %v", errDiagUnsupported, err)
	}
	defer syscall.Close(fd)
	tv := syscall.Timeval{Sec: 1}
	_ = syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)

	bufs := diagBufs.Get().(*diagBuf)
	defer diagBufs.Put(bufs)
	req := bufs.req[:]
	clear(req)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], diagReqLen)
	ne.PutUint16(req[4:], sockDiagByFamily)
	ne.PutUint16(req[6:], syscall.NLM_F_REQUEST)
	ne.PutUint32(req[8:], 1) // sequence
	r := req[16:]
	r[0] = byte(family)
	r[1] = syscall.IPPROTO_TCP
	ne.PutUint32(r[4:], 0xFFFFFFFF) // every state
	id := r[8:]
	binary.BigEndian.PutUint16(id[0:], client.Port())
	binary.BigEndian.PutUint16(id[2:], server.Port())
	putDiagAddr(id[4:20], client.Addr(), family)
	putDiagAddr(id[20:36], server.Addr(), family)
	ne.PutUint32(id[40:], inetDiagNoCookie)
	ne.PutUint32(id[44:], inetDiagNoCookie)

	sa := &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}
	if err := syscall.Sendto(fd, req, 0, sa); err != nil {
		return -1, 0, false, fmt.Errorf("%w: %v", errDiagUnsupported, err)
	}
	buf := bufs.answer[:]
	n, _, err := syscall.Recvfrom(fd, buf, 0)
	if err != nil {
		return -1, 0, false, fmt.Errorf("%w: %v", errDiagUnsupported, err)
	}
	if n < 16 {
		return -1, 0, false, fmt.Errorf("%w: short answer", errDiagUnsupported)
	}
	switch typ := ne.Uint16(buf[4:]); typ {
	case syscall.NLMSG_ERROR:
		errno := -int32(ne.Uint32(buf[16:]))
		if syscall.Errno(errno) == syscall.ENOENT {
			return -1, 0, false, nil
		}
		return -1, 0, false, fmt.Errorf("%w: %v", errDiagUnsupported, syscall.Errno(errno))
	case sockDiagByFamily:
		if n < diagMsgMinLen {
			return -1, 0, false, fmt.Errorf("%w: short answer", errDiagUnsupported)
		}
		// inet_diag_msg: family, state, timer, retrans, id (48), expires,
		// rqueue, wqueue, uid, inode.
		return int(ne.Uint32(buf[16+64:])), uint64(ne.Uint32(buf[16+68:])), true, nil
	default:
		return -1, 0, false, fmt.Errorf("%w: unexpected message type %d", errDiagUnsupported, typ)
	}
}

// putDiagAddr writes an address as inet_diag_sockid holds it: network
// order bytes, an IPv4 address in the first word for AF_INET and in its
// mapped form for AF_INET6.
func putDiagAddr(dst []byte, a netip.Addr, family int) {
	if family == syscall.AF_INET {
		b := a.Unmap().As4()
		copy(dst, b[:])
		return
	}
	b := a.As16()
	copy(dst, b[:])
}
