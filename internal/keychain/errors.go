package keychain

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
)

// ErrNotFound is matched (with errors.Is) by the errors returned when an
// item is not in the keychain. Those errors say which item and what to do.
var ErrNotFound = errors.New("not found in the keychain")

// notFoundError is an ErrNotFound with a sentence of its own.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string        { return e.msg }
func (e *notFoundError) Is(target error) bool { return target == ErrNotFound }

func notFound(format string, args ...any) error {
	return &notFoundError{msg: fmt.Sprintf(format, args...)}
}

// maxItemBytes is the most a keychain item may hold: Windows Credential
// Manager's cap on a credential blob, the smallest of the three platforms.
const maxItemBytes = 2560

type tooBigError struct {
	what string
	size int
}

func (e *tooBigError) Error() string {
	return fmt.Sprintf("cannot store %s: it takes %d bytes, more than the %d a keychain item may hold on every platform",
		e.what, e.size, maxItemBytes)
}

// itemError reports a keys item that is not in hopd's format.
type itemError struct {
	user string
	err  error
}

func (e *itemError) Error() string {
	return fmt.Sprintf("the keychain item for user %q does not hold keys hopd can use (%v): store them again with `hopd keys set %s`",
		e.user, e.err, e.user)
}

func (e *itemError) Unwrap() error { return e.err }

// backendHint tells a person what to check when the platform's keychain
// fails.
var backendHint = map[string]string{
	"darwin":  "cannot use the macOS Keychain: is the login keychain unlocked?",
	"windows": "cannot use Windows Credential Manager",
}

// backendError wraps an error from the keychain with what hopd was doing
// and what a person can check.
func backendError(doing string, err error) error {
	hint, ok := backendHint[runtime.GOOS]
	if !ok {
		hint = "cannot reach the keychain (Secret Service): is gnome-keyring or KeePassXC running and unlocked?"
	}
	return fmt.Errorf("%s: %s: %w", doing, hint, err)
}

func quote(s string) string { return strconv.Quote(s) }
