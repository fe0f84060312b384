package keychain

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The items are JSON with one-letter field names: a session token can be
// over 1000 bytes, and a Windows credential holds at most 2560.

type keysItem struct {
	ID     string `json:"k"`
	Secret string `json:"s"`
}

type sessionItem struct {
	ID         string `json:"k"`
	Secret     string `json:"s"`
	Token      string `json:"t"`
	Expiration string `json:"e"` // RFC 3339
}

func encodeKeys(k Keys) []byte {
	data, _ := json.Marshal(keysItem{ID: k.AccessKeyID, Secret: k.SecretAccessKey}) // strings only: cannot fail
	return data
}

func decodeKeys(data string) (Keys, error) {
	var it keysItem
	if err := json.Unmarshal([]byte(data), &it); err != nil {
		// The json error can quote the input, which holds a secret.
		return Keys{}, errors.New("not JSON")
	}
	keys := Keys{AccessKeyID: it.ID, SecretAccessKey: it.Secret}
	if err := ValidateKeys(keys); err != nil {
		return Keys{}, err
	}
	return keys, nil
}

func encodeSession(s Session) []byte {
	data, _ := json.Marshal(sessionItem{
		ID:         s.AccessKeyID,
		Secret:     s.SecretAccessKey,
		Token:      s.SessionToken,
		Expiration: s.Expiration.UTC().Format(time.RFC3339Nano),
	})
	return data
}

func decodeSession(data string) (Session, error) {
	var it sessionItem
	if err := json.Unmarshal([]byte(data), &it); err != nil {
		return Session{}, errors.New("not JSON")
	}
	exp, err := time.Parse(time.RFC3339Nano, it.Expiration)
	if err != nil {
		return Session{}, fmt.Errorf("bad expiration %q", it.Expiration)
	}
	s := Session{AccessKeyID: it.ID, SecretAccessKey: it.Secret, SessionToken: it.Token, Expiration: exp}
	if err := validSession(s); err != nil {
		return Session{}, err
	}
	return s, nil
}
