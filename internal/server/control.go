package server

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/broker"
)

// serveControl answers the CLI's control API; the caller has already
// checked the token.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request, name string) (route, acct string, status int) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if acct, ok := strings.CutPrefix(name, "console/"); ok {
		if r.Method != http.MethodGet {
			return "console", acct, methodNotAllowed(w, "GET")
		}
		return "console", acct, s.serveConsole(w, r, acct)
	}
	switch name {
	case "status":
		if r.Method != http.MethodGet {
			return name, "", methodNotAllowed(w, "GET")
		}
		var info api.DaemonInfo
		if s.opts.Info != nil {
			info = s.opts.Info()
		}
		return name, "", writeValue(w, api.Status{Daemon: info, Broker: s.wireStatus(s.opts.Source.Status())})
	case "accounts":
		if r.Method != http.MethodGet {
			return name, "", methodNotAllowed(w, "GET")
		}
		return name, "", writeValue(w, s.wireStatus(s.opts.Source.Status()).Accounts)
	case "signin-link":
		if r.Method != http.MethodGet {
			return name, "", methodNotAllowed(w, "GET")
		}
		if s.opts.SigninLink == nil {
			return name, "", writeError(w, http.StatusNotFound, "not_found", "this hopd cannot tell sign-in links; is `hopd` newer than the running daemon? restart it")
		}
		link, err := s.opts.SigninLink(r.Context(), r.URL.Query().Get("name"))
		if err != nil {
			return name, "", writeConsoleError(w, err)
		}
		return name, "", writeValue(w, link)
	case "mfa", "reload", "discover", "dashboard-link", "sso/login", "keys/removed", "tokens", "tokens/revoke":
		if r.Method != http.MethodPost {
			return name, "", methodNotAllowed(w, "POST")
		}
		return name, "", s.post(name)(w, r)
	}
	return "unknown", "", writeError(w, http.StatusNotFound, "not_found", "the control API has no such call; is `hopd` newer than the running daemon? restart it")
}

// post is the handler of a state-changing control call.
func (s *Server) post(name string) func(http.ResponseWriter, *http.Request) int {
	switch name {
	case "mfa":
		return s.serveMFA
	case "reload":
		return s.serveReload
	case "discover":
		return s.serveDiscover
	case "sso/login":
		return s.serveSSOLogin
	case "keys/removed":
		return s.serveKeysRemoved
	case "tokens":
		return s.serveMintToken
	case "tokens/revoke":
		return s.serveRevokeToken
	}
	return s.serveDashboardLink
}

func (s *Server) serveMFA(w http.ResponseWriter, r *http.Request) int {
	var req api.MFARequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return writeError(w, http.StatusRequestEntityTooLarge, "too_large", "the request body is too large")
		}
		// The decoder's message could quote part of the body, which holds the code.
		return writeError(w, http.StatusBadRequest, "bad_request", `send JSON like {"user":"NAME","code":"DIGITS"} with the 6-digit code`)
	}
	if !broker.ValidMFACode(req.Code) {
		return writeError(w, http.StatusBadRequest, "bad_mfa_code", "an MFA code is 6 digits")
	}
	user := req.User
	if user == "" {
		user = s.defaultMFAUser()
		if user == "" {
			return writeError(w, http.StatusBadRequest, "no_user", "hopd has no IAM user to give the code to; add a [user] to the config")
		}
	}
	err := s.opts.Source.SubmitMFA(r.Context(), user, req.Code)
	if err == nil {
		w.WriteHeader(http.StatusNoContent)
		return http.StatusNoContent
	}
	msg := strings.ReplaceAll(err.Error(), req.Code, "******")
	s.log.LogAttrs(r.Context(), slog.LevelWarn, "MFA code refused", slog.String("user", user), slog.String("err", msg))
	if _, ok := errors.AsType[*broker.UnavailableError](err); ok {
		return writeError(w, http.StatusServiceUnavailable, "unavailable", msg)
	}
	return writeError(w, http.StatusBadRequest, "mfa_refused", msg)
}

// defaultMFAUser picks the user a code without a name is meant for: the
// first one waiting for MFA, else the first one.
func (s *Server) defaultMFAUser() string {
	users := s.opts.Source.Status().Users
	for _, u := range users {
		if u.State == api.UserNeedsMFA {
			return u.Name
		}
	}
	if len(users) > 0 {
		return users[0].Name
	}
	return ""
}

func (s *Server) serveReload(w http.ResponseWriter, r *http.Request) int {
	_, _ = io.Copy(io.Discard, r.Body)
	if s.opts.Reload == nil {
		return writeError(w, http.StatusServiceUnavailable, "unavailable", "this hopd cannot reload its configuration; restart it")
	}
	if err := s.opts.Reload(r.Context()); err != nil {
		return writeError(w, http.StatusBadRequest, "bad_config", err.Error())
	}
	w.WriteHeader(http.StatusNoContent)
	return http.StatusNoContent
}

// serveConsole answers a console sign-in link. The link holds a sign-in
// token, so like credentials it is only ever written to the response.
func (s *Server) serveConsole(w http.ResponseWriter, r *http.Request, acct string) int {
	if s.opts.Console == nil {
		return writeError(w, http.StatusNotFound, "not_found", "this hopd cannot open the console; is `hopd` newer than the running daemon? restart it")
	}
	q := r.URL.Query()
	link, err := s.opts.Console(r.Context(), api.ConsoleRequest{
		Account: acct, Region: q.Get("region"), Service: q.Get("service"), Path: q.Get("path"), URL: q.Get("url"),
		Logout: q.Get("logout") == "1",
	})
	if err == nil {
		return writeValue(w, link)
	}
	return writeConsoleError(w, err)
}

// writeConsoleError answers an error of Console or SigninLink.
func writeConsoleError(w http.ResponseWriter, err error) int {
	var bad interface{ BadRequest() bool }
	switch {
	case errors.Is(err, broker.ErrUnknownAccount):
		return writeError(w, http.StatusNotFound, "unknown_account", err.Error())
	case errors.As(err, new(*broker.UnavailableError)):
		return writeError(w, http.StatusServiceUnavailable, "unavailable", err.Error())
	case errors.As(err, &bad) && bad.BadRequest():
		return writeError(w, http.StatusBadRequest, "bad_request", err.Error())
	}
	return writeError(w, http.StatusBadGateway, "console_failed", err.Error())
}

// serveDiscover lists the organization's accounts now, for
// `hopd accounts --refresh` and the tray.
func (s *Server) serveDiscover(w http.ResponseWriter, r *http.Request) int {
	_, _ = io.Copy(io.Discard, r.Body)
	if s.opts.Discover == nil {
		return writeError(w, http.StatusNotFound, "not_found", "this hopd cannot discover accounts; is `hopd` newer than the running daemon? restart it")
	}
	if err := s.opts.Discover(r.Context()); err != nil {
		return writeError(w, http.StatusBadGateway, "discover_failed", err.Error())
	}
	w.WriteHeader(http.StatusNoContent)
	return http.StatusNoContent
}

// serveDashboardLink hands `hopd dashboard` a one-time link to the browser
// page. The link is a credential for the page, so like credentials it is
// only ever written to the response.
func (s *Server) serveDashboardLink(w http.ResponseWriter, r *http.Request) int {
	_, _ = io.Copy(io.Discard, r.Body)
	if s.opts.DashboardLink == nil {
		return writeError(w, http.StatusNotFound, "not_found", "this hopd has no dashboard; is `hopd` newer than the running daemon? restart it")
	}
	url, err := s.opts.DashboardLink(r.Context())
	if err != nil {
		return writeError(w, http.StatusServiceUnavailable, "unavailable", err.Error())
	}
	return writeValue(w, api.DashboardLink{URL: url})
}

// serveSSOLogin starts an IAM Identity Center sign-in for `hopd sso login`,
// the tray or the page. The answer names the page to open; the CLI then
// follows the sign-in in GET /v1/status.
func (s *Server) serveSSOLogin(w http.ResponseWriter, r *http.Request) int {
	var req api.SSOLoginRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		return writeError(w, http.StatusBadRequest, "bad_request", `send JSON like {"name":"NAME","no_browser":false}`)
	}
	if s.opts.SSOLogin == nil {
		return writeError(w, http.StatusNotFound, "not_found", "this hopd cannot sign in to IAM Identity Center; is `hopd` newer than the running daemon? restart it")
	}
	login, err := s.opts.SSOLogin(r.Context(), req)
	if err != nil {
		var bad interface{ BadRequest() bool }
		if errors.As(err, &bad) && bad.BadRequest() {
			return writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		}
		return writeError(w, http.StatusBadGateway, "sso_failed", err.Error())
	}
	return writeValue(w, login)
}

// serveKeysRemoved is `hopd keys rm` telling the daemon: the user's
// session and role credentials go at once, not when they expire.
func (s *Server) serveKeysRemoved(w http.ResponseWriter, r *http.Request) int {
	var req api.KeysRemovedRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.User == "" {
		return writeError(w, http.StatusBadRequest, "bad_request", `send JSON like {"user":"NAME"}`)
	}
	if s.opts.KeysRemoved == nil {
		return writeError(w, http.StatusNotFound, "not_found", "this hopd cannot be told about removed keys; restart it so that it drops the user's session")
	}
	if err := s.opts.KeysRemoved(r.Context(), req.User); err != nil {
		return writeError(w, http.StatusBadRequest, "bad_request", err.Error())
	}
	w.WriteHeader(http.StatusNoContent)
	return http.StatusNoContent
}
