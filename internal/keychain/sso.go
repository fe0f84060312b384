package keychain

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/zalando/go-keyring"
)

// Identity Center's tokens and client registration are opaque JSON that
// the sign-in code encodes; an access token alone can be a few kilobytes,
// over what a Windows credential holds, so an SSO item is kept in parts:
// "sso:<name>/<part>" holds "parts=N" and "sso:<name>/<part>#i" the i-th
// piece. IAM user names cannot hold ":", so these never meet a user's items.

func ssoItem(name, part string) string { return "sso:" + name + "/" + part }

// SSO returns the stored part ("token", "client") of the [[sso]] name. The
// error is ErrNotFound when none is stored, or when the parts do not fit
// together (the item is then deleted: signing in again replaces it).
func (k *Keychain) SSO(name, part string) ([]byte, error) {
	head, err := keyring.Get(k.service, ssoItem(name, part))
	if err == keyring.ErrNotFound {
		return nil, notFound("no IAM Identity Center %s stored for %s: run `hopd sso login %s`", part, name, name)
	}
	if err != nil {
		return nil, backendError("cannot read the IAM Identity Center "+part+" of "+name, err)
	}
	n, err := strconv.Atoi(strings.TrimPrefix(head, "parts="))
	if !strings.HasPrefix(head, "parts=") || err != nil || n < 1 || n > maxSSOParts {
		_ = k.DeleteSSO(name, part)
		return nil, notFound("the IAM Identity Center %s stored for %s could not be read, so it was deleted", part, name)
	}
	var b strings.Builder
	for i := 1; i <= n; i++ {
		piece, err := keyring.Get(k.service, ssoItem(name, part)+"#"+strconv.Itoa(i))
		if err == keyring.ErrNotFound {
			_ = k.DeleteSSO(name, part)
			return nil, notFound("the IAM Identity Center %s stored for %s was incomplete, so it was deleted", part, name)
		}
		if err != nil {
			return nil, backendError("cannot read the IAM Identity Center "+part+" of "+name, err)
		}
		b.WriteString(piece)
	}
	return []byte(b.String()), nil
}

// maxSSOParts bounds an SSO item at about 40 kB.
const maxSSOParts = 16

// SetSSO stores a part of the [[sso]] name, replacing what was stored.
func (k *Keychain) SetSSO(name, part string, data []byte) error {
	what := "the IAM Identity Center " + part + " of " + name
	n := (len(data) + maxItemBytes - 1) / maxItemBytes
	if n == 0 {
		n = 1
	}
	if n > maxSSOParts {
		return &tooBigError{what: what, size: len(data)}
	}
	// Old pieces beyond the new count would be read by nobody; remove them
	// first so that a crash halfway leaves a head that no longer fits,
	// which reads as not found.
	_ = k.deleteSSOPieces(name, part, n+1)
	for i := 1; i <= n; i++ {
		piece := data[(i-1)*maxItemBytes : min(i*maxItemBytes, len(data))]
		if err := k.set(ssoItem(name, part)+"#"+strconv.Itoa(i), piece, what); err != nil {
			return err
		}
	}
	return k.set(ssoItem(name, part), []byte(fmt.Sprintf("parts=%d", n)), what)
}

// DeleteSSO deletes a part of the [[sso]] name. The error is ErrNotFound
// when none was stored.
func (k *Keychain) DeleteSSO(name, part string) error {
	err := keyring.Delete(k.service, ssoItem(name, part))
	_ = k.deleteSSOPieces(name, part, 1)
	if err == keyring.ErrNotFound {
		return notFound("no IAM Identity Center %s stored for %s", part, name)
	}
	if err != nil {
		return backendError("cannot delete the IAM Identity Center "+part+" of "+name, err)
	}
	return nil
}

func (k *Keychain) deleteSSOPieces(name, part string, from int) error {
	for i := from; i <= maxSSOParts; i++ {
		err := keyring.Delete(k.service, ssoItem(name, part)+"#"+strconv.Itoa(i))
		if errors.Is(err, keyring.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}
