package keychain

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// ValidateKeys checks that keys look like an IAM user's long-lived access
// keys, so that a typo or a pasted temporary credential is refused before
// anything is stored. Its errors never contain the secret, and show at most
// the first four characters of the access key id.
func ValidateKeys(keys Keys) error {
	if err := ValidateAccessKeyID(keys.AccessKeyID); err != nil {
		return err
	}
	switch secret := keys.SecretAccessKey; {
	case secret == "":
		return errors.New("secret access key is empty")
	case strings.IndexFunc(secret, unicode.IsSpace) >= 0:
		return errors.New("secret access key contains a space or line break; copy it again without one")
	case len(secret) != 40:
		return fmt.Errorf("secret access key must be 40 characters long, not %d", len(secret))
	case !isSecret(secret):
		return errors.New("secret access key may contain only letters, digits, / and +")
	}
	return nil
}

// ValidateAccessKeyID checks an access key id on its own, so that a
// terminal can refuse a wrong one before it asks for the secret.
func ValidateAccessKeyID(id string) error {
	switch {
	case id == "":
		return errors.New("access key id is empty")
	case !isKeyID(id):
		return fmt.Errorf("access key id%s is not 16 to 128 capital letters and digits (it has %d characters)", prefix(id), len(id))
	case !strings.HasPrefix(id, "AKIA"):
		return fmt.Errorf("access key id%s must start with AKIA: hopd stores an IAM user's long-lived key, not temporary credentials", prefix(id))
	}
	return nil
}

// isKeyID reports whether id matches ^[A-Z0-9]{16,128}$.
func isKeyID(id string) bool {
	if len(id) < 16 || len(id) > 128 {
		return false
	}
	for _, c := range []byte(id) {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// isSecret reports whether every character is one of [A-Za-z0-9/+].
func isSecret(s string) bool {
	for _, c := range []byte(s) {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '/' || c == '+') {
			return false
		}
	}
	return true
}

// prefix shows the start of an access key id in an error, as ` starting
// "AKIA..."`. Nothing is shown when the id holds characters an id cannot
// have: then it may be a pasted secret.
func prefix(id string) string {
	if len(id) < 4 {
		return ""
	}
	for _, c := range []byte(id[:4]) {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return ""
		}
	}
	for _, c := range []byte(id) {
		if 'a' <= c && c <= 'z' || c == '/' || c == '+' {
			return ""
		}
	}
	return fmt.Sprintf(" starting %q", id[:4]+"...")
}

// validUser checks a user name before it becomes an item name. IAM user
// names are at most 64 characters of letters, digits and +=,.@_-; the
// checks here are looser, but refuse "/" (which would let a name collide
// with another user's session item) and characters that cannot be seen.
func validUser(user string) error {
	switch {
	case user == "":
		return errors.New("user name is empty")
	case len(user) > 128:
		return fmt.Errorf("user name is %d characters long; IAM user names have at most 64", len(user))
	case strings.Contains(user, "/"):
		return fmt.Errorf("user name %q contains /, which IAM user names cannot", user)
	case strings.IndexFunc(user, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
		return fmt.Errorf("user name %q contains a space or an invisible character", user)
	}
	return nil
}

// validSession checks that a session has everything a client needs.
func validSession(s Session) error {
	var missing []string
	if s.AccessKeyID == "" {
		missing = append(missing, "access key id")
	}
	if s.SecretAccessKey == "" {
		missing = append(missing, "secret access key")
	}
	if s.SessionToken == "" {
		missing = append(missing, "session token")
	}
	if s.Expiration.IsZero() {
		missing = append(missing, "expiration")
	}
	if len(missing) > 0 {
		return fmt.Errorf("the MFA session lacks its %s", strings.Join(missing, ", "))
	}
	return nil
}
