package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/hopd/hopd/internal/broker"
	"github.com/hopd/hopd/internal/config"
)

const (
	ecsPrefix = "/creds/"
	apiPrefix = "/v1/"
)

// serveECS answers the ECS container-credentials protocol for one account.
func (s *Server) serveECS(w http.ResponseWriter, r *http.Request, name string) (route, acct string, status int) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return "ecs", "", methodNotAllowed(w, "GET")
	}
	// A name no account can have is unknown without asking the broker,
	// and what gets logged is always a tame string.
	if !config.ValidAccountName(name) {
		return "ecs", "", writeError(w, http.StatusNotFound, "unknown_account", "there is no such account; `hopd accounts` lists them")
	}
	c, err := s.opts.Source.Credentials(r.Context(), name)
	if err == nil {
		err = checkFresh(name, c)
	}
	if err != nil {
		return "ecs", name, s.writeSourceError(w, r, name, err)
	}
	ans := s.answers.get(name, &c)
	writeAnswer(w, ans.ecs, ans.ecsLen)
	if s.opts.OnServe != nil {
		s.onServe(r, name, "ecs")
	}
	return "ecs", name, http.StatusOK
}

// checkFresh is a last guard against serving credentials that expired
// while the machine slept; the broker should never hand them out.
func checkFresh(name string, c broker.Creds) error {
	if !c.Expiration.IsZero() && !time.Now().Before(c.Expiration) {
		return &broker.UnavailableError{Account: name, Reason: "the credentials hopd holds have expired and could not be refreshed yet; try again in a moment"}
	}
	return nil
}

// writeSourceError maps a broker error to a status a client can act on.
func (s *Server) writeSourceError(w http.ResponseWriter, r *http.Request, name string, err error) int {
	var ue *broker.UnavailableError
	switch {
	case errors.Is(err, broker.ErrUnknownAccount):
		return writeError(w, http.StatusNotFound, "unknown_account", "hopd has no account named "+name+"; `hopd accounts` lists them")
	case errors.As(err, &ue):
		return writeError(w, http.StatusServiceUnavailable, "unavailable", ue.Error())
	case errors.Is(err, broker.ErrNeedMFA):
		return writeError(w, http.StatusServiceUnavailable, "needs_mfa", "hopd needs an MFA code before it can serve "+name+"; run `hopd mfa`")
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return writeError(w, http.StatusServiceUnavailable, "unavailable", "hopd could not get credentials for "+name+" in time; try again")
	}
	s.log.LogAttrs(r.Context(), slog.LevelError, "getting credentials failed", slog.String("account", name), slog.String("err", err.Error()))
	return writeError(w, http.StatusInternalServerError, "internal", "hopd failed to get credentials for "+name+"; its log says why")
}

func methodNotAllowed(w http.ResponseWriter, allow string) int {
	w.Header().Set("Allow", allow)
	return writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use "+allow+" on this path")
}
