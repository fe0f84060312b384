// Package dashboard serves the browser page: one-time links, sessions, CSRF, status JSON/SSE, MFA form, console buttons.
//
// The page lives on hopd's main listener, which every web page the browser
// has open can send requests to. So nothing on it works without a session,
// a session starts only from a one-time link that hopd itself hands out
// (the tray, or `hopd dashboard` through the token-protected control API),
// the session cookie is HttpOnly and SameSite=Strict, every request must
// come from the page's own origin (Sec-Fetch-Site, Origin), and every state
// change carries a CSRF token in a header that other origins cannot send
// without a CORS preflight, which hopd never grants. No credentials are
// ever part of the page.
package dashboard

import (
	"context"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hopd/hopd/assets"
	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/broker"
	"github.com/hopd/hopd/internal/peercred"
)

// Source is what the page needs from the broker.
type Source interface {
	Status() broker.Status
	SubmitMFA(ctx context.Context, user, code string) error
	Subscribe() (<-chan struct{}, func())
}

// Info is what the page shows of the daemon besides the broker.
type Info struct {
	Version     string
	ConfigPath  string
	ConfigError string               // why the config on disk is not in force
	SSO         []api.SSOInfo        // each [[sso]]'s sign-in, for its "Sign in" button
	Services    []string             // console services to offer beside "Open console", recent ones first
	ConsoleEnds map[string]time.Time // account -> when the console session hopd opened for it ends
	OwnBrowser  map[string]bool      // accounts whose console opens through a browser command, not a tab of the page's
}

// Options connect the page to the daemon.
type Options struct {
	Source Source
	// OpenConsole signs in to an account's AWS console. It returns the
	// one-time link for the page to open in a new tab, or "" when it opened
	// the console itself (the account's browser command). Its error must
	// read as a sentence and hold no secret.
	OpenConsole func(ctx context.Context, account, service string) (link string, err error)
	// Reload re-reads the config file; its error says what is wrong.
	Reload func(ctx context.Context) error
	// EnvLines are `hopd env ACCOUNT`'s lines, for "Copy env lines".
	EnvLines func(account string) (string, error)
	// SSOLogin starts a sign-in to the named [[sso]], for its "Sign in".
	SSOLogin func(ctx context.Context, name string) (api.SSOLogin, error)
	Info     func() Info
	Logger   *slog.Logger
	// Now is the clock, for tests; nil means time.Now.
	Now func() time.Time
}

// Dashboard is the page's http.Handler, for server.Options.Page.
type Dashboard struct {
	opts     Options
	log      *slog.Logger
	now      func() time.Time
	sessions *sessions
	consoles *consoleLinks
	clients  *clients
	static   fs.FS
	index    *template.Template
	states   string        // pageStates as JSON, for index.html
	streams  chan struct{} // a slot per open event stream

	done      chan struct{} // closed by Close: event streams end
	closeOnce sync.Once

	pokeMu sync.Mutex
	poked  chan struct{} // closed, and replaced, when the clients change

	// viewMu orders views: one taken later has a higher seq and a state
	// read no earlier, so the page can drop a view that arrives late (an
	// answer to a POST overtaken by the event stream).
	viewMu  sync.Mutex
	viewSeq uint64
}

// maxStreams bounds the open event streams: a few tabs are plenty.
const maxStreams = 16

// New makes the page. Close it when the daemon stops, before the server's
// graceful shutdown, which would otherwise wait for the page's open event
// streams.
func New(opts Options) *Dashboard {
	if opts.Source == nil {
		panic("dashboard.New: Options.Source is nil")
	}
	d := &Dashboard{
		opts:    opts,
		log:     opts.Logger,
		now:     opts.Now,
		static:  assets.Web(),
		streams: make(chan struct{}, maxStreams),
		done:    make(chan struct{}),
		poked:   make(chan struct{}),
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.now == nil {
		d.now = time.Now
	}
	d.sessions = newSessions(d.now)
	d.consoles = newConsoleLinks(d.now)
	d.clients = newClients(d.now)
	// The template is embedded: failing to parse it is a build mistake.
	d.index = template.Must(template.ParseFS(d.static, "index.html"))
	d.states = statesJSON()
	go d.clients.resolve(d.done, d.poke)
	return d
}

// poke tells the event streams that something the broker does not
// announce has changed (a new client).
func (d *Dashboard) poke() {
	d.pokeMu.Lock()
	defer d.pokeMu.Unlock()
	close(d.poked)
	d.poked = make(chan struct{})
}

// pokes is closed at the next poke.
func (d *Dashboard) pokes() <-chan struct{} {
	d.pokeMu.Lock()
	defer d.pokeMu.Unlock()
	return d.poked
}

// Close ends the open event streams and the process lookups.
func (d *Dashboard) Close() {
	d.closeOnce.Do(func() { close(d.done) })
}

// Record notes that an account's credentials were served to a client, for
// server.Options.OnServe. It is cheap: the process behind the connection
// is looked up later, once per connection, on another goroutine. parent,
// when > 0, is the program that ran `hopd creds` (endpoint
// "credential_process"): the page names it instead of the connection.
func (d *Dashboard) Record(account, endpoint string, peer peercred.Conn, parent int) {
	d.clients.record(account, endpoint, peer, parent)
}

// NewLink returns a one-time link to the page under base (for example
// http://127.0.0.1:9911). It works once, for two minutes, and starts a
// session in the browser that opens it.
func (d *Dashboard) NewLink(base string) (string, error) {
	tok, err := d.sessions.newLink()
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(base, "/") + "/login?t=" + tok, nil
}

// Every answer carries these: no framing, no sniffing, no caching, no
// referrer (the login URL holds a token), nothing loadable by other origins.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// ServeHTTP serves the page. The server has already checked that the Host
// names its loopback listener and, on Linux, that the peer is our own user.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	if r.URL.Path == "/login" {
		d.serveLogin(w, r)
		return
	}
	if id, ok := strings.CutPrefix(r.URL.Path, ConsolePrefix); ok {
		d.serveConsoleLink(w, r, id)
		return
	}
	if reason := crossOrigin(r); reason != "" {
		d.refuse(w, r, http.StatusForbidden, "forbidden", reason, msgCrossOrigin)
		return
	}
	p := r.URL.Path
	if name, ok := strings.CutPrefix(p, "/assets/"); ok && r.Method == http.MethodGet {
		// Styles and script hold nothing private, and the pages that say
		// "no session" need them too.
		d.serveAsset(w, r, name)
		return
	}
	sess := d.sessionOf(r)
	if sess == nil {
		d.refuse(w, r, http.StatusUnauthorized, "no_session", "no session", msgNoSession)
		return
	}
	if r.Method == http.MethodPost {
		if reason := badStateChange(r, sess); reason != "" {
			d.refuse(w, r, http.StatusForbidden, "forbidden", reason, msgCrossOrigin)
			return
		}
		d.serveAction(w, r)
		return
	}
	if r.Method != http.MethodGet {
		d.refuse(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "method "+short(r.Method), "This page answers GET, and POST from its own forms.")
		return
	}
	switch p {
	case "/":
		d.serveIndex(w, sess)
	case "/api/status":
		writeJSON(w, http.StatusOK, d.view())
	case "/api/events":
		d.serveEvents(w, r)
	default:
		writeError(w, r, http.StatusNotFound, "not_found", "The dashboard has nothing at this address.")
	}
}

// cookieName includes the port: cookies are not kept apart by port, so two
// daemons on one machine would otherwise overwrite each other's. The
// server has checked that Host ends in :PORT.
func cookieName(r *http.Request) string {
	return "hopd_session_" + r.Host[strings.LastIndexByte(r.Host, ':')+1:]
}

// crossOrigin says why a request did not come from the page's own origin,
// or "" when it did. Sec-Fetch-Site is what the browser itself says; every
// current browser sends it to loopback. A page on another port of
// 127.0.0.1 is "same-site" (ports do not make sites), so its requests
// carry the SameSite=Strict cookie: only "same-origin" is good enough.
// "none" is a person's own navigation (address bar, bookmark), which may
// only load the page itself.
func crossOrigin(r *http.Request) string {
	site := r.Header.Get("Sec-Fetch-Site")
	switch {
	case site == "" || site == "same-origin":
	case site == "none" && r.Method == http.MethodGet && r.URL.Path == "/":
	default:
		return "Sec-Fetch-Site " + short(site)
	}
	if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
		return "foreign Origin"
	}
	return ""
}

// badStateChange says why a POST may not change anything, or "" when it
// may: it needs its own Origin (browsers always send one with POST), the
// session's CSRF token in a header (which a form cannot send, and a
// script of another origin cannot send without a preflight), and a JSON
// body (which a form cannot send either).
func badStateChange(r *http.Request, sess *session) string {
	if r.Header.Get("Origin") != "http://"+r.Host {
		return "no Origin of its own"
	}
	if !sess.csrfOK(r.Header.Get(csrfHeader)) {
		return "missing or wrong CSRF token"
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		return "Content-Type " + short(ct)
	}
	return ""
}

// short keeps what a client sent from filling the log.
func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// csrfHeader carries the session's CSRF token on every POST.
const csrfHeader = "X-Hopd-Csrf"

const (
	msgNoSession   = "This page needs a dashboard session: choose Open dashboard in hopd's tray menu, or run `hopd dashboard`."
	msgCrossOrigin = "hopd's dashboard answers only its own page."
)

// refuse answers a request that may not go on, and logs why (never with
// the URL, which may hold a link token).
func (d *Dashboard) refuse(w http.ResponseWriter, r *http.Request, status int, code, reason, msg string) {
	d.log.LogAttrs(r.Context(), slog.LevelInfo, "dashboard refused a request",
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", status), slog.String("reason", reason))
	writeError(w, r, status, code, msg)
}

// sessionOf is the request's session. Every cookie of the session's name
// counts, not only the first: a page on another 127.0.0.1 port can plant
// one with a longer path, which browsers send first (cookie tossing), and
// that must not end the real session.
func (d *Dashboard) sessionOf(r *http.Request) *session {
	name := cookieName(r)
	for _, c := range r.CookiesNamed(name) {
		if sess, ok := d.sessions.lookup(c.Value); ok {
			return sess
		}
	}
	return nil
}

func (d *Dashboard) serveIndex(w http.ResponseWriter, sess *session) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if err := d.index.Execute(w, struct{ CSRF, States string }{sess.csrf, d.states}); err != nil {
		d.log.Warn("writing the dashboard page failed", "err", err)
	}
}

// assetTypes are the files under assets/web/ that are served, with their
// types; index.html is served only through its template.
var assetTypes = map[string]string{
	"app.js":      "text/javascript; charset=utf-8",
	"app.css":     "text/css; charset=utf-8",
	"favicon.svg": "image/svg+xml",
}

func (d *Dashboard) serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	ct, ok := assetTypes[name]
	if !ok {
		writeError(w, r, http.StatusNotFound, "not_found", "The dashboard has no such file.")
		return
	}
	data, err := fs.ReadFile(d.static, name)
	if err != nil {
		writeError(w, r, http.StatusNotFound, "not_found", "The dashboard has no such file.")
		return
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}
