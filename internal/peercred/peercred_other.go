//go:build !linux

package peercred

import "net"

// SameUser has nothing to check with outside Linux: there is no portable
// way to learn a TCP peer's user, so other systems rely on loopback-only
// listeners, the Host check and the tokens.
func SameUser(local, remote net.Addr) error { return nil }

// Processes knows no portable way to name the process behind a TCP
// connection outside Linux; the page shows the client's address instead.
func Processes([]Conn) map[Conn]Process { return map[Conn]Process{} }

// ProcessByPID names no process outside Linux.
func ProcessByPID(int) (Process, bool) { return Process{}, false }

// PeerUID cannot tell outside Linux: known is false.
func PeerUID(local, remote net.Addr) (uid int, known bool, err error) { return -1, false, nil }
