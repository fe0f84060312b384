package dashboard

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"sync"
	"time"
)

const (
	// linkTTL is how long a one-time link works: long enough for a browser
	// to start, short enough that a link left in a terminal's scrollback
	// is worthless.
	linkTTL = 2 * time.Minute
	// sessionTTL is how long the page keeps working without a new link: a
	// working day, like the MFA session.
	sessionTTL = 12 * time.Hour
	// Caps that keep a client with the control token from filling memory.
	maxLinks    = 32
	maxSessions = 16
)

// errTooManyLinks is returned when unused links pile up.
var errTooManyLinks = errors.New("too many dashboard links are waiting to be opened; open one of them or wait two minutes")

// session is one browser's access to the page.
type session struct {
	csrf    string // sent back by the page in a header on every state change
	expires time.Time
}

// sessions holds the one-time links and the sessions they started. Secrets
// are kept as SHA-256 digests, so looking one up does not compare the
// secret itself byte by byte.
type sessions struct {
	now func() time.Time

	mu       sync.Mutex
	links    map[[32]byte]time.Time // digest of a link token -> when it expires
	sessions map[[32]byte]*session  // digest of a session id -> the session
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{now: now, links: map[[32]byte]time.Time{}, sessions: map[[32]byte]*session{}}
}

// randomToken is 32 random bytes, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails on supported platforms (it panics instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newLink makes a token that starts one session, once, within linkTTL.
func (s *sessions) newLink() (string, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, exp := range s.links {
		if !now.Before(exp) {
			delete(s.links, k)
		}
	}
	if len(s.links) >= maxLinks {
		return "", errTooManyLinks
	}
	tok := randomToken()
	s.links[sha256.Sum256([]byte(tok))] = now.Add(linkTTL)
	return tok, nil
}

// redeem uses up a link token and starts a session: the session id for the
// cookie and the session. ok is false for a token that is unknown, used or
// expired.
func (s *sessions) redeem(token string) (id string, sess *session, ok bool) {
	now := s.now()
	key := sha256.Sum256([]byte(token))
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, found := s.links[key]
	delete(s.links, key)
	if !found || !now.Before(exp) {
		return "", nil, false
	}
	for k, old := range s.sessions {
		if !now.Before(old.expires) {
			delete(s.sessions, k)
		}
	}
	if len(s.sessions) >= maxSessions {
		// The oldest session gives way: the person opening a link now is
		// the one at the desk.
		var oldest [32]byte
		var at time.Time
		for k, old := range s.sessions {
			if at.IsZero() || old.expires.Before(at) {
				oldest, at = k, old.expires
			}
		}
		delete(s.sessions, oldest)
	}
	id = randomToken()
	sess = &session{csrf: randomToken(), expires: now.Add(sessionTTL)}
	s.sessions[sha256.Sum256([]byte(id))] = sess
	return id, sess, true
}

// lookup finds the live session with the given id.
func (s *sessions) lookup(id string) (*session, bool) {
	if id == "" {
		return nil, false
	}
	key := sha256.Sum256([]byte(id))
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[key]
	if !ok {
		return nil, false
	}
	if !now.Before(sess.expires) {
		delete(s.sessions, key)
		return nil, false
	}
	return sess, true
}

// csrfOK compares a request's CSRF token with the session's in constant time.
func (sess *session) csrfOK(got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.csrf)) == 1
}
