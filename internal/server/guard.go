package server

import (
	"context"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hopd/hopd/internal/peercred"
)

const (
	msgHost    = "the Host header must name this loopback listener, as 127.0.0.1:PORT, [::1]:PORT or localhost:PORT"
	msgBrowser = "hopd does not serve web browsers on this path"
	msgPeer    = "this connection does not come from a process of hopd's own user"
)

// localPort is the port of the listener that accepted r, or -1 when r did
// not come through a net/http server (then the Host check fails closed).
func localPort(r *http.Request) int {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok {
		return a.Port
	}
	return -1
}

// checkConn applies the checks every route shares: the Host names this
// loopback listener (so a DNS-rebound web page is refused) and the peer is
// our own user. It returns "" when the request may go on.
func (s *Server) checkConn(r *http.Request, port int) string {
	if !hostOK(r.Host, port) {
		return msgHost
	}
	if s.opts.PeerCheck && !peerOK(r.Context()) {
		return msgPeer
	}
	return ""
}

func hostOK(host string, port int) bool {
	i := strings.LastIndexByte(host, ':')
	if i < 0 || !portIs(host[i+1:], port) {
		return false
	}
	h := host[:i]
	if h == "127.0.0.1" || strings.EqualFold(h, "localhost") {
		return true
	}
	if len(h) > 2 && h[0] == '[' && h[len(h)-1] == ']' {
		a, err := netip.ParseAddr(h[1 : len(h)-1])
		return err == nil && a.Is6() && a.Zone() == "" && a.Unmap().IsLoopback()
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.Is4() && a.IsLoopback()
}

func portIs(s string, port int) bool {
	if len(s) == 0 || len(s) > 5 || port < 0 {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n == port
}

// fromBrowser reports browser-only headers: no SDK or CLI sends them, and
// a page's fetch or form always does.
func fromBrowser(h http.Header) bool {
	_, origin := h["Origin"]
	_, site := h["Sec-Fetch-Site"]
	_, mode := h["Sec-Fetch-Mode"]
	return origin || site || mode
}

// authorize checks the bearer token; status 0 means allowed. A missing
// token is 401 and a wrong one 403, as ECS clients expect.
// scope is "" for hopd's own token, or the one account a scoped token
// reads.
func (s *Server) authorize(r *http.Request) (scope string, status int, code, msg string) {
	v := r.Header["Authorization"]
	if len(v) == 0 || v[0] == "" {
		return "", http.StatusUnauthorized, "unauthorized",
			"send hopd's token in the Authorization header; `hopd env ACCOUNT` sets AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE for SDKs"
	}
	got := v[0]
	if len(got) > 7 && strings.EqualFold(got[:7], "bearer ") {
		got = got[7:]
	}
	if len(v) == 1 && strings.HasPrefix(got, scopedPrefix) {
		if acct, ok := s.scoped.account(got, time.Now()); ok {
			return acct, 0, "", ""
		}
		// Revoked or expired: as ECS clients expect of a token that is no
		// longer good.
		return "", http.StatusUnauthorized, "unauthorized", "this scoped token was revoked (its hopd exec ended) or has expired; get a new one"
	}
	if len(v) != 1 || s.token == "" || !equalConstantTime(got, s.token) {
		return "", http.StatusForbidden, "forbidden",
			"the Authorization token is not hopd's; it is in the token file in hopd's state directory"
	}
	return "", 0, "", ""
}

// equalConstantTime compares without converting to []byte (which would
// allocate per request); the time depends only on the lengths.
func equalConstantTime(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := 0; i < len(a); i++ {
		v |= a[i] ^ b[i]
	}
	return subtle.ConstantTimeByteEq(v, 0) == 1
}

type connKey struct{}

// connInfo is what the handlers need of a connection, worked out once when
// it is accepted rather than on each of its requests.
type connInfo struct {
	peer    peercred.Conn // for Options.OnServe
	verdict *peerVerdict  // nil when PeerCheck is off
}

// peerVerdict is computed at most once per connection, lazily on its first
// request: reading /proc per request would be far too slow, and doing it in
// ConnContext would stall the accept loop, which calls it synchronously.
type peerVerdict struct {
	once sync.Once
	conn net.Conn
	s    *Server
	ok   bool
}

// ConnContext must be the http.Server's ConnContext for every listener that
// serves this Server's handlers when PeerCheck is on (Serve and Apply do it
// themselves).
func (s *Server) ConnContext(ctx context.Context, c net.Conn) context.Context {
	info := &connInfo{peer: connPeer(c)}
	if s.opts.PeerCheck {
		v := &peerVerdict{conn: c, s: s}
		if _, vetted := c.(*vettedConn); vetted {
			// Checked when accepted; no second lookup.
			v.once.Do(func() { v.ok, v.conn = true, nil })
		}
		info.verdict = v
	}
	return context.WithValue(ctx, connKey{}, info)
}

// connPeer is c's two ends as the dashboard looks them up, IPv4 unmapped.
func connPeer(c net.Conn) peercred.Conn {
	var p peercred.Conn
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		p.Remote = netip.AddrPortFrom(a.AddrPort().Addr().Unmap(), uint16(a.Port))
	}
	if a, ok := c.LocalAddr().(*net.TCPAddr); ok {
		p.Local = netip.AddrPortFrom(a.AddrPort().Addr().Unmap(), uint16(a.Port))
	}
	return p
}

func connOf(ctx context.Context) *connInfo {
	info, _ := ctx.Value(connKey{}).(*connInfo)
	return info
}

func peerOK(ctx context.Context) bool {
	info := connOf(ctx)
	if info == nil || info.verdict == nil {
		return false
	}
	v := info.verdict
	v.once.Do(v.check)
	return v.ok
}

// peerLookups counts /proc lookups, so tests can see they happen once per
// connection rather than per request.
var peerLookups atomic.Int64

func (v *peerVerdict) check() {
	peerLookups.Add(1)
	err := peercred.SameUser(v.conn.LocalAddr(), v.conn.RemoteAddr())
	v.ok = err == nil
	if err != nil {
		v.s.log.Warn("refusing a connection from another user", "remote", v.conn.RemoteAddr().String(), "err", err)
	}
	v.conn = nil
}
