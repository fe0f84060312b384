package peercred

import (
	"context"
	"net"
	"os/user"
	"strconv"
	"time"
)

// Holder says who listens on a loopback address: it connects, asks whose
// socket accepted it, and hangs up before sending anything. known is
// false when nothing listens there or the OS cannot tell.
func Holder(ctx context.Context, addr string) (uid int, known bool) {
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return -1, false
	}
	defer c.Close()
	uid, known, err = PeerUID(c.LocalAddr(), c.RemoteAddr())
	return uid, known && err == nil
}

// UserName names uid for a message: "uid 65534 (nobody)".
func UserName(uid int) string {
	s := "uid " + strconv.Itoa(uid)
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		s += " (" + u.Username + ")"
	}
	return s
}
