package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/filetrust"
)

// LoadOrCreateToken returns the bearer token kept in the state directory's
// token file, creating it (32 random bytes, hex, mode 0600, no newline) at
// first start.
// It refuses a token file that other users could read or that belongs to
// someone else, since such a token can no longer be trusted.
func LoadOrCreateToken(stateDir string) (string, error) {
	if stateDir == "" {
		return "", errors.New("no state directory for the token; set HOPD_STATE_DIR")
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return "", fmt.Errorf("cannot create the state directory: %w", err)
	}
	path := api.StateDir(stateDir).TokenFile()
	tok, err := readToken(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return tok, err
	}

	var raw [32]byte
	_, _ = rand.Read(raw[:])
	tok = hex.EncodeToString(raw[:])
	f, err := os.CreateTemp(stateDir, ".token-*") // mode 0600
	if err != nil {
		return "", fmt.Errorf("cannot create the token file in %s: %w", stateDir, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.WriteString(tok)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("cannot write the token file %s: %w", tmp, err)
	}
	// A hard link publishes the file without replacing one that another
	// hopd created meanwhile; rename is the fallback where links fail.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readToken(path)
		}
		if err := os.Rename(tmp, path); err != nil {
			return "", fmt.Errorf("cannot create the token file %s: %w", path, err)
		}
	}
	return tok, nil
}

func readToken(path string) (string, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		return "", fmt.Errorf("cannot read the token file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("the token file %s is not a regular file; delete it and restart hopd", path)
	}
	if err := checkPrivate(path, fi); err != nil {
		return "", err
	}
	b, err := filetrust.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("cannot read the token file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if !validToken(tok) {
		return "", fmt.Errorf("the token file %s is empty or damaged; delete it and restart hopd", path)
	}
	return tok, nil
}

// validToken accepts what LoadOrCreateToken writes and anything similar a
// person may have put there, but nothing short or with spaces, which would
// not survive headers and environment files.
func validToken(s string) bool {
	if len(s) < 32 || len(s) > 512 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.' || c == '~' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}
