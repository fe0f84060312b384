package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hopd/hopd/internal/config"
)

// shutdownGrace is how long in-flight requests may take to finish when the
// daemon stops or an IMDS listener is removed.
const shutdownGrace = 5 * time.Second

// ListenError is a failure to bind one of hopd's addresses.
type ListenError struct {
	Addr string
	Err  error
}

func (e *ListenError) Error() string {
	return "hopd cannot listen on " + e.Addr + ": " + e.Err.Error() + "; is another hopd running? see `hopd status`"
}

func (e *ListenError) Unwrap() error { return e.Err }

// loopbackAddr checks that listen names a loopback address and returns the
// address to bind; "localhost" binds 127.0.0.1 so it never depends on DNS
// or /etc/hosts.
func loopbackAddr(listen, file string) (string, error) {
	where := "the config"
	if file != "" {
		where = file
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("listen = %q in %s is not host:port; use for example %q", listen, where, config.DefaultListen)
	}
	if strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	} else if a, err := netip.ParseAddr(host); err != nil || a.Zone() != "" || !a.Unmap().IsLoopback() {
		return "", fmt.Errorf("listen = %q in %s is not a loopback address; hopd serves credentials only on 127.0.0.1, [::1] or localhost so that no other machine can reach them: set for example listen = %q", listen, where, config.DefaultListen)
	}
	return net.JoinHostPort(host, port), nil
}

func (s *Server) newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ConnContext:       s.ConnContext,
		ConnState:         s.fresh.track,
		BaseContext:       func(net.Listener) context.Context { return s.baseCtx },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

// Listen binds the main listener on cfg's listen address, and the IMDS
// ports of its accounts, without serving yet: once it returns, clients
// that connect are queued, so the daemon can say where it listens (in
// daemon.json) before Serve starts.
func (s *Server) Listen(cfg *config.Config) error {
	if cfg == nil {
		return errors.New("server.Listen needs a config")
	}
	addr, err := loopbackAddr(cfg.Listen, cfg.Path)
	if err != nil {
		return err
	}
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return errors.New("this server has shut down; make a new one to serve again")
	case s.mainSrv != nil:
		s.mu.Unlock()
		return errors.New("this server is already listening")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.mu.Unlock()
		return &ListenError{Addr: addr, Err: err}
	}
	s.mainSrv, s.mainLn, s.addr, s.listen = s.newHTTPServer(s.Handler()), s.guardListener(ln), ln.Addr(), cfg.Listen
	s.mu.Unlock()

	for _, err := range s.Apply(cfg) {
		s.log.Error("IMDS listener", "err", err)
	}
	return nil
}

// Serve serves until ctx is done, then shuts down gracefully: requests in
// flight finish. It binds with Listen first unless that was done.
func (s *Server) Serve(ctx context.Context, cfg *config.Config) error {
	s.mu.Lock()
	bound := s.mainSrv != nil && !s.closed
	s.mu.Unlock()
	if !bound {
		if err := s.Listen(cfg); err != nil {
			return err
		}
	}
	s.mu.Lock()
	srv, ln := s.mainSrv, s.mainLn
	s.mu.Unlock()
	s.log.Info("serving credentials", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	s.shutdown()
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serving %s stopped: %w", ln.Addr(), serveErr)
	}
	return nil
}

func (s *Server) shutdown() {
	s.mu.Lock()
	s.closed = true
	servers := []*http.Server{s.mainSrv}
	listeners := []net.Listener{s.mainLn}
	for _, l := range s.imds {
		servers = append(servers, l.srv)
		listeners = append(listeners, l.ln)
	}
	s.imds = map[int]*imdsListener{}
	s.unbound = nil
	s.armRebind()
	s.addr = nil
	s.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	// Stop accepting, then let every accepted connection have its first
	// answer before Shutdown, which would drop it (see freshConns).
	for _, ln := range listeners {
		_ = ln.Close()
	}
	drain, cancelDrain := context.WithTimeout(ctx, time.Second)
	s.fresh.wait(drain)
	cancelDrain()
	for _, srv := range servers {
		s.bg.Go(func() { stopGracefully(ctx, srv) })
	}
	s.bg.Wait()
	// Only now cancel request contexts: cancelling them first would abort
	// the very requests the grace period is for.
	s.cancelBase()
	s.log.Info("stopped serving")
}

func stopGracefully(ctx context.Context, srv *http.Server) {
	if err := srv.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
		srv.Close()
	}
}

type imdsListener struct {
	ln  net.Listener
	srv *http.Server
	h   *imdsHandler
}

// Apply brings the IMDS listeners in line with cfg: it opens one for each
// new imds_port, closes those no account uses any more (letting their
// in-flight requests finish), and points kept ones at the account's new
// settings. Every port is handled on its own; the errors say which could
// not be bound. It may be called before or while Serve runs; a changed
// listen address is reported, since it needs a restart.
func (s *Server) Apply(cfg *config.Config) []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return []error{errors.New("this server has shut down; its listeners cannot change")}
	}
	var errs []error
	if s.mainSrv != nil && cfg.Listen != s.listen {
		errs = append(errs, fmt.Errorf("listen changed from %s to %s; restart hopd for that to take effect", s.listen, cfg.Listen))
	}
	want := map[int]config.Account{}
	for _, a := range cfg.Accounts {
		switch prev, dup := want[a.IMDSPort]; {
		case a.IMDSPort == 0:
		case a.IMDSPort < 0 || a.IMDSPort > 65535:
			errs = append(errs, fmt.Errorf("account %s: imds_port %d is not a TCP port; use 1024-65535", a.Name, a.IMDSPort))
		case dup:
			errs = append(errs, fmt.Errorf("accounts %s and %s both use imds_port %d; %s gets no IMDS listener until one changes", prev.Name, a.Name, a.IMDSPort, a.Name))
		default:
			want[a.IMDSPort] = a
		}
	}
	for _, port := range slices.Sorted(maps.Keys(s.imds)) {
		if _, ok := want[port]; !ok {
			s.closeIMDS(s.imds[port])
			delete(s.imds, port)
		}
	}
	s.unbound = map[int]config.Account{}
	for _, port := range slices.Sorted(maps.Keys(want)) {
		a := want[port]
		if l, ok := s.imds[port]; ok {
			l.h.acct.Store(&a)
			continue
		}
		l, err := s.openIMDS(a, port)
		if err != nil {
			s.unbound[port] = a
			errs = append(errs, fmt.Errorf("account %s: %w; hopd tries again every %s", a.Name, err, s.opts.RebindEvery))
			continue
		}
		s.imds[port] = l
	}
	s.armRebind()
	return errs
}

// armRebind schedules the next try of the unbound ports; s.mu is held.
func (s *Server) armRebind() {
	if s.rebind != nil {
		s.rebind.Stop()
		s.rebind = nil
	}
	if len(s.unbound) > 0 && !s.closed {
		s.rebind = time.AfterFunc(s.opts.RebindEvery, s.rebindIMDS)
	}
}

// rebindIMDS tries the taken ports again, quietly: Apply reported them.
func (s *Server) rebindIMDS() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	for port, a := range s.unbound {
		l, err := s.openIMDS(a, port)
		if err != nil {
			continue
		}
		s.imds[port] = l
		delete(s.unbound, port)
	}
	s.armRebind()
}

func (s *Server) openIMDS(a config.Account, port int) (*imdsListener, error) {
	addr := net.JoinHostPort(IMDSHost, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &ListenError{Addr: addr, Err: err}
	}
	ln = s.guardListener(ln)
	h := s.IMDSHandler(a, port).(*imdsHandler)
	l := &imdsListener{ln: ln, srv: s.newHTTPServer(h), h: h}
	go func() { _ = l.srv.Serve(ln) }()
	s.log.Info("IMDS listener open", "account", a.Name, "addr", addr)
	return l, nil
}

// closeIMDS frees the port at once, so a later Apply can bind it again,
// and lets the requests in flight finish in the background.
func (s *Server) closeIMDS(l *imdsListener) {
	_ = l.ln.Close()
	s.log.Info("IMDS listener closed", "account", l.h.acct.Load().Name, "addr", l.ln.Addr().String())
	s.bg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		stopGracefully(ctx, l.srv)
	})
}
