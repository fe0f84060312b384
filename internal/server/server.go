// Package server serves credentials, IMDS and the control API on loopback.
package server

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/broker"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/peercred"
)

// Source is what the server needs from the broker.
type Source interface {
	Credentials(ctx context.Context, account string) (broker.Creds, error)
	Status() broker.Status
	// SubmitMFA hands the broker a code for a user. Errors that mean "try
	// again later" (STS unreachable) should be *broker.UnavailableError so
	// the client gets 503; any other error is answered with 400 and its
	// message, so it must read like a sentence and hold no secret.
	SubmitMFA(ctx context.Context, user, code string) error
}

// Options configure a Server.
type Options struct {
	Token  string // the ECS/control bearer token (from the token file); empty refuses every client
	Source Source
	Info   func() api.DaemonInfo           // for GET /v1/status
	Reload func(ctx context.Context) error // POST /v1/reload
	Logger *slog.Logger
	// PeerCheck makes every connection prove, on Linux, that its process
	// runs as our own user. The daemon must turn it on; the zero value is
	// off so that handler tests need no real sockets.
	PeerCheck bool
	// Page, when set, serves every path on the main listener that is not
	// /creds/ or /v1/ (the browser page). It still gets the Host and peer
	// checks, but not the refusal of browser headers, because browsers
	// always send them; it must do its own session and CSRF checks.
	Page http.Handler
	// Console answers GET /v1/console/<account>?region=R&service=S&path=P&url=U&logout=1
	// with a console sign-in link; region "" means the account's own. Errors: wrapping
	// broker.ErrUnknownAccount -> 404, *broker.UnavailableError -> 503, one
	// with a BadRequest() method -> 400, others (AWS sign-in failed) -> 502.
	Console func(ctx context.Context, req api.ConsoleRequest) (api.ConsoleLink, error)
	// SigninLink answers GET /v1/signin-link?name=N with the sign-in page
	// of a user, of an account's user, or of an [[sso]] ("" for the only
	// one). Errors are answered like Console's.
	SigninLink func(ctx context.Context, name string) (api.SigninLink, error)
	// Discover answers POST /v1/discover: list the organization's accounts
	// now. Its error, one line a person can act on, is answered with 502.
	Discover func(ctx context.Context) error
	// OnServe, when set, is called after credentials were served: the
	// account, the endpoint ("ecs", "imds", or "credential_process" for
	// `hopd creds`) and the client's connection, whose process
	// peercred.Processes can look up later, off the request path; parent
	// is the pid of the program that ran `hopd creds` (0 otherwise), as it
	// says. It runs on the request's goroutine, on the hot path, so it
	// must be quick and never block.
	OnServe func(account, endpoint string, peer peercred.Conn, parent int)
	// SSOLogin answers POST /v1/sso/login: start an IAM Identity Center
	// sign-in. Errors with a BadRequest() method (no such [[sso]]) -> 400,
	// others -> 502.
	SSOLogin func(ctx context.Context, req api.SSOLoginRequest) (api.SSOLogin, error)
	// KeysRemoved answers POST /v1/keys/removed (`hopd keys rm`): drop the
	// user's session and role credentials now.
	KeysRemoved func(ctx context.Context, user string) error
	// DashboardLink answers POST /v1/dashboard-link with a one-time URL
	// that opens the browser page; its error is answered with 503.
	DashboardLink func(ctx context.Context) (string, error)
	// RebindEvery is how often an IMDS port that was taken is tried again
	// (default 10 s). The program holding it (an old hopd still shutting
	// down, another tool) may let it go at any time; the listener then
	// opens by itself, with no config edit or restart.
	RebindEvery time.Duration
}

// onServe tells Options.OnServe that account's credentials were served on
// endpoint.
func (s *Server) onServe(r *http.Request, account, endpoint string) {
	parent := 0
	if endpoint == "ecs" && r.Header.Get(api.HeaderVia) == api.ViaCredentialProcess {
		endpoint = api.ViaCredentialProcess
		parent, _ = strconv.Atoi(r.Header.Get(api.HeaderParent))
	}
	if info := connOf(r.Context()); info != nil {
		s.opts.OnServe(account, endpoint, info.peer, parent)
		return
	}
	// Not through a server with s.ConnContext (handler tests).
	var p peercred.Conn
	p.Remote, _ = netip.ParseAddrPort(r.RemoteAddr)
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok {
		p.Local = netip.AddrPortFrom(a.AddrPort().Addr().Unmap(), uint16(a.Port))
	}
	s.opts.OnServe(account, endpoint, p, parent)
}

// IMDSHost is the loopback address every IMDS listener binds; SDKs are
// pointed at http://127.0.0.1:<imds_port>.
const IMDSHost = "127.0.0.1"

// Server serves the main listener (ECS endpoint and control API) and one
// IMDS listener per account that has an imds_port.
type Server struct {
	opts  Options
	log   *slog.Logger
	token string
	macs  macPool
	main  http.Handler
	// answers are the credentials' encoded answers, once per version.
	answers answers

	created time.Time // stands in for an instance's launch time

	baseCtx    context.Context
	cancelBase context.CancelFunc

	mu      sync.Mutex
	mainSrv *http.Server
	mainLn  net.Listener
	fresh   freshConns
	// refusals rate-limits the log of connections refused at accept.
	refusals *refusalLog
	scoped   scopedTokens
	addr     net.Addr
	listen   string
	imds     map[int]*imdsListener
	unbound  map[int]config.Account // wanted IMDS ports that were taken
	rebind   *time.Timer            // tries the unbound ports again
	closed   bool
	bg       sync.WaitGroup // graceful shutdowns still running
}

// New makes a Server. It panics when opts.Source is nil, which is a wiring
// mistake rather than something a user can cause.
func New(opts Options) *Server {
	if opts.Source == nil {
		panic("server.New: Options.Source is nil")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.RebindEvery <= 0 {
		opts.RebindEvery = 10 * time.Second
	}
	key := make([]byte, 32)
	// rand.Read never fails on supported platforms (it panics instead).
	_, _ = rand.Read(key)
	s := &Server{
		opts:    opts,
		log:     log,
		token:   opts.Token,
		imds:    map[int]*imdsListener{},
		created: time.Now(),
	}
	s.refusals = newRefusalLog(log, time.Now)
	s.macs.init(key)
	s.baseCtx, s.cancelBase = context.WithCancel(context.Background())
	s.main = http.HandlerFunc(s.serveMain)
	return s
}

// Handler is the main listener's handler: the ECS endpoint and the control
// API. It learns its own port from http.LocalAddrContextKey, which every
// net/http server sets; requests without it are refused. With PeerCheck on,
// the http.Server must use s.ConnContext.
func (s *Server) Handler() http.Handler { return s.main }

// IMDSHandler is the handler of one account's IMDS listener on port. With
// PeerCheck on, the http.Server must use s.ConnContext.
func (s *Server) IMDSHandler(acct config.Account, port int) http.Handler {
	h := &imdsHandler{s: s, port: port}
	h.acct.Store(&acct)
	return h
}

// Addr is the main listener's address while Serve runs, nil otherwise.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

func (s *Server) serveMain(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	route, acct, status := s.routeMain(w, r)
	if status != 0 {
		s.logRequest(r, route, acct, status, start)
	}
}

// routeMain returns status 0 when the page handler answered, since only it
// knows what it wrote and it logs for itself.
func (s *Server) routeMain(w http.ResponseWriter, r *http.Request) (route, acct string, status int) {
	if msg := s.checkConn(r, localPort(r)); msg != "" {
		return "guard", "", writeError(w, http.StatusForbidden, "forbidden", msg)
	}
	p := r.URL.Path
	ecs := len(p) > len(ecsPrefix) && p[:len(ecsPrefix)] == ecsPrefix
	api := len(p) > len(apiPrefix) && p[:len(apiPrefix)] == apiPrefix
	if !ecs && !api {
		if s.opts.Page != nil {
			s.opts.Page.ServeHTTP(w, r)
			return "page", "", 0
		}
		return "unknown", "", writeError(w, http.StatusNotFound, "not_found", "hopd has nothing at this path; credentials are at /creds/<account>")
	}
	if fromBrowser(r.Header) {
		return "guard", "", writeError(w, http.StatusForbidden, "forbidden", msgBrowser)
	}
	scope, st, code, msg := s.authorize(r)
	if st != 0 {
		return "auth", "", writeError(w, st, code, msg)
	}
	if scope != "" && (!ecs || p[len(ecsPrefix):] != scope) {
		return "auth", "", writeError(w, http.StatusForbidden, "forbidden", errScoped.Error())
	}
	if ecs {
		return s.serveECS(w, r, p[len(ecsPrefix):])
	}
	return s.serveControl(w, r, p[len(apiPrefix):])
}

// logRequest logs what happened, never what was served: no credentials,
// no tokens, no request headers.
func (s *Server) logRequest(r *http.Request, route, acct string, status int, start time.Time) {
	level := slog.LevelDebug
	switch {
	case status >= 500:
		level = slog.LevelWarn
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		level = slog.LevelInfo
	}
	ctx := r.Context()
	if !s.log.Enabled(ctx, level) {
		return
	}
	s.log.LogAttrs(ctx, level, "request",
		slog.String("route", route),
		slog.String("account", acct),
		slog.Int("status", status),
		slog.Duration("duration", time.Since(start)))
}
