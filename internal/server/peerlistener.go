package server

import (
	"errors"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hopd/hopd/internal/peercred"
)

// MaxConns caps the connections one listener keeps open: each costs a
// goroutine and buffers, and a client that opens thousands (by mistake or
// not) must not take the memory and descriptors the user's SDKs need.
const MaxConns = 512

// peerListener checks each connection's user as it is accepted and closes
// another user's at once, before net/http spends a goroutine, buffers and
// a keep-alive on it. Connections over MaxConns are closed the same way.
type peerListener struct {
	net.Listener
	open    atomic.Int64
	refusal *refusalLog
}

func (s *Server) guardListener(ln net.Listener) net.Listener {
	if !s.opts.PeerCheck {
		return ln
	}
	return &peerListener{Listener: ln, refusal: s.refusals}
}

func (l *peerListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		uid, known, err := peercred.PeerUID(c.LocalAddr(), c.RemoteAddr())
		switch {
		case err != nil:
			l.refusal.note(-1, "cannot tell the connection's user", err)
			c.Close()
			continue
		case known && uid != os.Getuid():
			l.refusal.note(uid, "refusing connections from another user", nil)
			c.Close()
			continue
		}
		if l.open.Add(1) > MaxConns {
			l.open.Add(-1)
			l.refusal.note(uid, "refusing connections over the limit of one listener", nil)
			c.Close()
			continue
		}
		return &vettedConn{Conn: c, l: l}, nil
	}
}

// vettedConn is a connection whose user was checked at accept; it gives
// its place back when it closes.
type vettedConn struct {
	net.Conn
	l    *peerListener
	once sync.Once
}

func (c *vettedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}

// refusalLog writes one line per user per minute however many connections
// it refuses, with the count of those it did not write: a flood of them
// must not fill the disk with the log.
type refusalLog struct {
	log *slog.Logger
	now func() time.Time

	mu    sync.Mutex
	byUID map[int]*refusals
}

type refusals struct {
	last   time.Time
	unsaid int
}

func newRefusalLog(log *slog.Logger, now func() time.Time) *refusalLog {
	return &refusalLog{log: log, now: now, byUID: map[int]*refusals{}}
}

func (r *refusalLog) note(uid int, msg string, err error) {
	r.mu.Lock()
	now := r.now()
	st := r.byUID[uid]
	if st == nil {
		st = &refusals{}
		r.byUID[uid] = st
	}
	if !st.last.IsZero() && now.Sub(st.last) < time.Minute {
		st.unsaid++
		r.mu.Unlock()
		return
	}
	unsaid := st.unsaid
	st.last, st.unsaid = now, 0
	r.mu.Unlock()
	args := []any{"uid", uid, "refused_since_last_line", unsaid}
	if err != nil && !errors.Is(err, net.ErrClosed) {
		args = append(args, "err", err)
	}
	r.log.Warn(msg, args...)
}
