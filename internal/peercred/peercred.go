// Package peercred finds out who is at the other end of a loopback TCP connection: its user, and its process.
//
// On Linux the kernel answers through sock_diag, with /proc/net/tcp as the
// fallback for the user; elsewhere there is no portable way, so the checks
// pass and the lookups find nothing.
package peercred

import "net/netip"

// Conn names one TCP connection by its two ends, as the server sees it.
type Conn struct {
	Remote netip.AddrPort // the client's end
	Local  netip.AddrPort // hopd's end
}

// Process is the program behind a connection, where the OS can tell.
type Process struct {
	PID  int
	Name string
}
