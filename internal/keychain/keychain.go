// Package keychain keeps IAM user keys and cached MFA sessions in the OS
// keychain.
//
// It goes through github.com/zalando/go-keyring: the macOS Keychain, Windows
// Credential Manager, or a Secret Service (gnome-keyring, KeePassXC) on
// Linux. Each user has up to two items under the service name: the
// long-lived keys, named after the IAM user, and the cached MFA session,
// named "<user>/session". Items hold compact JSON. Each [[sso]] (IAM
// Identity Center) keeps its tokens and client registration in parts
// named "sso:<name>/..." (see sso.go).
package keychain

import (
	"errors"
	"time"

	"github.com/zalando/go-keyring"
)

// Keys are an IAM user's long-lived access keys.
type Keys struct {
	AccessKeyID     string
	SecretAccessKey string
}

// Session is a cached MFA session (the result of sts:GetSessionToken).
type Session struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// Keychain reads and writes hopd's items under one keychain service name.
// It keeps no state besides that name; the keychain is the only store.
type Keychain struct {
	service string
}

// New returns the Keychain hopd uses, service "hopd".
func New() *Keychain { return NewService("hopd") }

// NewService returns a Keychain that keeps its items under service. Tests
// use a service name of their own so that they never meet real items.
func NewService(service string) *Keychain { return &Keychain{service: service} }

// sessionName names the item that caches user's MFA session. IAM user
// names cannot contain "/", so it never collides with a user's keys.
func sessionName(user string) string { return user + "/session" }

// Keys returns user's keys. The error is ErrNotFound when none are stored.
func (k *Keychain) Keys(user string) (Keys, error) {
	if err := validUser(user); err != nil {
		return Keys{}, err
	}
	data, err := keyring.Get(k.service, user)
	if err == keyring.ErrNotFound {
		return Keys{}, notFound("no keys stored for user %q: run `hopd keys set %s`", user, user)
	}
	if err != nil {
		return Keys{}, backendError("cannot read the keys of user "+quote(user), err)
	}
	keys, err := decodeKeys(data)
	if err != nil {
		// Unlike a session, keys cannot be had again from STS, so a bad
		// item stays for the person to look at or replace.
		return Keys{}, &itemError{user: user, err: err}
	}
	return keys, nil
}

// SetKeys stores user's keys, replacing any stored before. Keys that
// ValidateKeys refuses are not stored.
func (k *Keychain) SetKeys(user string, keys Keys) error {
	if err := validUser(user); err != nil {
		return err
	}
	if err := ValidateKeys(keys); err != nil {
		return err
	}
	return k.set(user, encodeKeys(keys), "the keys of user "+quote(user))
}

// DeleteKeys deletes user's keys and cached session. The error is
// ErrNotFound when no keys were stored (a session, if any, is still
// deleted).
func (k *Keychain) DeleteKeys(user string) error {
	if err := validUser(user); err != nil {
		return err
	}
	// The session goes first: without keys it is an orphan that could
	// outlive the keys it was made from.
	if err := k.DeleteSession(user); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	err := keyring.Delete(k.service, user)
	if err == keyring.ErrNotFound {
		return notFound("no keys stored for user %q: nothing to delete", user)
	}
	if err != nil {
		return backendError("cannot delete the keys of user "+quote(user), err)
	}
	return nil
}

// Session returns user's cached MFA session. The error is ErrNotFound when
// none is cached, and also when the cached item cannot be read as a
// session; such an item is deleted, since a new session replaces it.
func (k *Keychain) Session(user string) (Session, error) {
	if err := validUser(user); err != nil {
		return Session{}, err
	}
	data, err := keyring.Get(k.service, sessionName(user))
	if err == keyring.ErrNotFound {
		return Session{}, notFound("no MFA session cached for user %q", user)
	}
	if err != nil {
		return Session{}, backendError("cannot read the cached MFA session of user "+quote(user), err)
	}
	s, err := decodeSession(data)
	if err != nil {
		// Best effort: if the delete fails, the next SetSession replaces
		// the item anyway, and the caller needs a new session either way.
		_ = keyring.Delete(k.service, sessionName(user))
		return Session{}, notFound("the MFA session cached for user %q could not be read, so it was deleted (%v)", user, err)
	}
	return s, nil
}

// SetSession caches user's MFA session, replacing any cached before. A
// session too big for a keychain item on every platform is refused.
func (k *Keychain) SetSession(user string, s Session) error {
	if err := validUser(user); err != nil {
		return err
	}
	if err := validSession(s); err != nil {
		return err
	}
	return k.set(sessionName(user), encodeSession(s), "the MFA session of user "+quote(user))
}

// DeleteSession deletes user's cached MFA session. The error is ErrNotFound
// when none is cached.
func (k *Keychain) DeleteSession(user string) error {
	if err := validUser(user); err != nil {
		return err
	}
	err := keyring.Delete(k.service, sessionName(user))
	if err == keyring.ErrNotFound {
		return notFound("no MFA session cached for user %q", user)
	}
	if err != nil {
		return backendError("cannot delete the cached MFA session of user "+quote(user), err)
	}
	return nil
}

// set stores data as the item named name; what describes it for errors.
func (k *Keychain) set(name string, data []byte, what string) error {
	if len(data) > maxItemBytes {
		return &tooBigError{what: what, size: len(data)}
	}
	err := keyring.Set(k.service, name, string(data))
	if err == keyring.ErrSetDataTooBig {
		return &tooBigError{what: what, size: len(data)}
	}
	if err != nil {
		return backendError("cannot store "+what, err)
	}
	return nil
}
