package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/broker"
	"github.com/hopd/hopd/internal/config"
)

// actionTimeout bounds what a button may take: STS, and AWS sign-in for
// the console.
const actionTimeout = time.Minute

// maxBody bounds a POST's JSON.
const maxBody = 4 << 10

// serveLogin trades a one-time link for a session cookie.
func (d *Dashboard) serveLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		d.refuse(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "method "+short(r.Method), "Open the link in a browser.")
		return
	}
	id, _, ok := d.sessions.redeem(r.URL.Query().Get("t"))
	if !ok {
		d.refuse(w, r, http.StatusForbidden, "link_used", "unknown, used or expired link",
			"This dashboard link has been used or has expired: choose Open dashboard in hopd's tray menu, or run `hopd dashboard`, for a new one.")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName(r),
		Value:    id,
		Path:     "/",
		MaxAge:   int(sessionTTL / time.Second),
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	})
	d.log.Info("dashboard session started")
	// Not a redirect: after a navigation that began on another site (a
	// link in a chat), a redirect would not carry the SameSite=Strict
	// cookie, while a refresh started by this page does.
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=/">` +
		`<title>hopd</title><link rel="icon" href="/assets/favicon.svg"><link rel="stylesheet" href="/assets/app.css"></head>` +
		`<body><main class="notice"><p>Opening hopd's dashboard… <a href="/">Continue</a></p></main></body></html>`))
}

// serveAction carries out a POST from the page; the caller has checked the
// session, the origin and the CSRF token.
func (d *Dashboard) serveAction(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	ctx, cancel := context.WithTimeout(r.Context(), actionTimeout)
	defer cancel()
	switch r.URL.Path {
	case "/api/mfa":
		d.serveMFA(ctx, w, r)
	case "/api/console":
		d.serveConsole(ctx, w, r)
	case "/api/reload":
		d.serveReload(ctx, w, r)
	case "/api/env":
		d.serveEnv(w, r)
	case "/api/sso/login":
		d.serveSSOLogin(ctx, w, r)
	default:
		writeError(w, r, http.StatusNotFound, "not_found", "The dashboard has no such action.")
	}
}

// decode reads a JSON body. Its errors never quote the body, which may
// hold an MFA code.
func decode(r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	return dec.Decode(v) == nil
}

func (d *Dashboard) serveMFA(ctx context.Context, w http.ResponseWriter, r *http.Request) {
	var req struct {
		User string `json:"user"`
		Code string `json:"code"`
	}
	if !decode(r, &req) {
		writeError(w, r, http.StatusBadRequest, "bad_request", `Send {"user":"NAME","code":"123456"}.`)
		return
	}
	if !broker.ValidMFACode(req.Code) {
		writeError(w, r, http.StatusBadRequest, "bad_mfa_code", "An MFA code is 6 digits.")
		return
	}
	user := req.User
	if user == "" {
		for _, u := range d.opts.Source.Status().Users {
			if u.MFA && u.State != api.UserOK {
				user = u.Name
				break
			}
		}
	}
	err := d.opts.Source.SubmitMFA(ctx, user, req.Code)
	if err == nil {
		d.log.Info("MFA code from the dashboard accepted", "user", user)
		writeJSON(w, http.StatusOK, d.view())
		return
	}
	msg := strings.ReplaceAll(err.Error(), req.Code, "******")
	d.log.LogAttrs(ctx, slog.LevelWarn, "MFA code from the dashboard refused", slog.String("user", user), slog.String("err", msg))
	// The page's form already says that a code is needed.
	msg = strings.TrimPrefix(msg, broker.ErrNeedMFA.Error()+": ")
	if _, ok := errors.AsType[*broker.UnavailableError](err); ok {
		writeError(w, r, http.StatusServiceUnavailable, "unavailable", sentence(msg))
		return
	}
	writeError(w, r, http.StatusBadRequest, "mfa_refused", sentence(msg))
}

func (d *Dashboard) serveConsole(ctx context.Context, w http.ResponseWriter, r *http.Request) {
	var req struct {
		Account string `json:"account"`
		Service string `json:"service"` // "" for the console home
	}
	if !decode(r, &req) || !accountName(req.Account) || !serviceName(req.Service) {
		writeError(w, r, http.StatusBadRequest, "bad_request", `Send {"account":"NAME"} or {"account":"NAME","service":"s3"}.`)
		return
	}
	if d.opts.OpenConsole == nil {
		writeError(w, r, http.StatusNotFound, "not_found", "This hopd cannot open the console.")
		return
	}
	link, err := d.opts.OpenConsole(ctx, req.Account, req.Service)
	switch {
	case err == nil && link != "":
		writeJSON(w, http.StatusOK, struct {
			Open string `json:"open"`
		}{link})
	case err == nil:
		d.log.Info("opened the console from the dashboard", "account", req.Account)
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, broker.ErrUnknownAccount):
		writeError(w, r, http.StatusNotFound, "unknown_account", sentence(err.Error()))
	case errors.As(err, new(*broker.UnavailableError)):
		writeError(w, r, http.StatusServiceUnavailable, "unavailable", sentence(err.Error()))
	default:
		d.log.Warn("opening the console from the dashboard failed", "account", req.Account, "err", err)
		writeError(w, r, http.StatusBadGateway, "console_failed", sentence(err.Error()))
	}
}

// serveEnv answers the shell lines of `hopd env ACCOUNT`, for the page's
// "Copy env lines": they name the token file, never the token.
func (d *Dashboard) serveEnv(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Account string `json:"account"`
	}
	if !decode(r, &req) || !config.ValidAccountName(req.Account) {
		writeError(w, r, http.StatusBadRequest, "bad_request", `Send {"account":"NAME"}.`)
		return
	}
	if d.opts.EnvLines == nil {
		writeError(w, r, http.StatusNotFound, "not_found", "This hopd cannot give env lines.")
		return
	}
	text, err := d.opts.EnvLines(req.Account)
	if err != nil {
		writeError(w, r, http.StatusNotFound, "unknown_account", sentence(err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Text string `json:"text"`
	}{text})
}

// serveSSOLogin starts an IAM Identity Center sign-in and answers the page
// to open (the daemon opens it itself when it can) and the device code.
func (d *Dashboard) serveSSOLogin(ctx context.Context, w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name string `json:"name"`
	}
	if !decode(r, &req) || !config.ValidAccountName(req.Name) {
		writeError(w, r, http.StatusBadRequest, "bad_request", `Send {"name":"SSO"} with the name of an [[sso]] of the config.`)
		return
	}
	if d.opts.SSOLogin == nil {
		writeError(w, r, http.StatusNotFound, "not_found", "This hopd cannot sign in to IAM Identity Center.")
		return
	}
	login, err := d.opts.SSOLogin(ctx, req.Name)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "sso_login_failed", sentence(err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, login)
}

func (d *Dashboard) serveReload(ctx context.Context, w http.ResponseWriter, r *http.Request) {
	if d.opts.Reload == nil {
		writeError(w, r, http.StatusNotFound, "not_found", "This hopd cannot reload its config; restart it.")
		return
	}
	if err := d.opts.Reload(ctx); err != nil {
		writeError(w, r, http.StatusBadRequest, "bad_config", sentence(err.Error()))
		return
	}
	d.log.Info("re-read the config from the dashboard")
	writeJSON(w, http.StatusOK, d.view())
}

// accountName is the config's rule for account names, or an IAM user's
// name: a user with console = true is reached by its name.
func accountName(s string) bool { return config.ValidAccountName(s) || config.ValidUserName(s) }

// sentence starts a message with a capital letter, for the page.
func sentence(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status, data = http.StatusInternalServerError, []byte(`{"code":"internal","message":"hopd could not encode its answer; see its log"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// errorPage is what a person sees who navigates to a page they may not see.
var errorPage = template.Must(template.New("error").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8">` +
	`<title>hopd</title><link rel="icon" href="/assets/favicon.svg"><link rel="stylesheet" href="/assets/app.css"></head>` +
	`<body><main class="notice"><h1>hopd</h1><p id="error">{{.}}</p></main></body></html>`))

// writeError answers {"code","message"}, or a small page for a person's
// own navigation.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	if r.Header.Get("Sec-Fetch-Mode") == "navigate" || r.Header.Get("Sec-Fetch-Mode") == "" && strings.Contains(r.Header.Get("Accept"), "text/html") {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_ = errorPage.Execute(w, msg)
		return
	}
	writeJSON(w, status, struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{code, msg})
}

// serviceName accepts "" and what could be a console service's name: the
// daemon checks it against its table.
func serviceName(s string) bool {
	if len(s) > 40 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
