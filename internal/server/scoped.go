package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/hopd/hopd/internal/api"
)

// scopedTokens are tokens that read one account's credentials over the
// ECS endpoint and nothing else, until they expire or are revoked. They
// live in memory only: a restarted daemon has none, which revokes them all.
type scopedTokens struct {
	mu sync.Mutex
	m  map[string]scopedToken
}

type scopedToken struct {
	account string
	expires time.Time
}

const scopedPrefix = "hopd-scoped-"

func (t *scopedTokens) mint(account string, ttl time.Duration, now time.Time) api.ScopedToken {
	var raw [32]byte
	_, _ = rand.Read(raw[:])
	tok := scopedPrefix + hex.EncodeToString(raw[:])
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]scopedToken{}
	}
	for k, v := range t.m { // expired ones go as new ones come
		if !now.Before(v.expires) {
			delete(t.m, k)
		}
	}
	st := scopedToken{account: account, expires: now.Add(ttl)}
	t.m[tok] = st
	return api.ScopedToken{Token: tok, Account: account, Expires: st.expires.UTC()}
}

// account is the account tok reads, if it is a live scoped token.
func (t *scopedTokens) account(tok string, now time.Time) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st, ok := t.m[tok]
	if !ok {
		return "", false
	}
	if !now.Before(st.expires) {
		delete(t.m, tok)
		return "", false
	}
	return st.account, true
}

func (t *scopedTokens) revoke(tok string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.m[tok]
	delete(t.m, tok)
	return ok
}

func (s *Server) serveMintToken(w http.ResponseWriter, r *http.Request) int {
	var req api.ScopedTokenRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return writeError(w, http.StatusBadRequest, "bad_request", `send JSON like {"account":"NAME","ttl":43200000000000}`)
	}
	if req.TTL <= 0 || req.TTL > api.MaxScopedTTL {
		return writeError(w, http.StatusBadRequest, "bad_ttl", fmt.Sprintf("a scoped token lives from a second to %s", api.MaxScopedTTL))
	}
	known := false
	for _, a := range s.opts.Source.Status().Accounts {
		known = known || a.Name == req.Account
	}
	if !known {
		return writeError(w, http.StatusNotFound, "no_such_account", fmt.Sprintf("no account named %q: see `hopd accounts`", req.Account))
	}
	tok := s.scoped.mint(req.Account, req.TTL, time.Now())
	s.log.Info("scoped token made", "account", req.Account, "expires", tok.Expires)
	return writeValue(w, tok)
}

func (s *Server) serveRevokeToken(w http.ResponseWriter, r *http.Request) int {
	var req api.RevokeTokenRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Token == "" {
		return writeError(w, http.StatusBadRequest, "bad_request", `send JSON like {"token":"hopd-scoped-..."}`)
	}
	if s.scoped.revoke(req.Token) {
		s.log.Info("scoped token revoked")
	}
	w.WriteHeader(http.StatusNoContent)
	return http.StatusNoContent
}

// errScoped is why a scoped token was refused a path it does not open.
var errScoped = errors.New("this token is scoped to one account: it reads only that account's credentials at /creds/ACCOUNT")
