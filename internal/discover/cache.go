package discover

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/atomicfile"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/filetrust"
)

// cacheVersion changes when the file's meaning does; an unknown version is
// ignored and listed anew.
const cacheVersion = 1

// CacheFile is where the last listing is kept in the state directory, so
// that the accounts are there at start without waiting on AWS.
func CacheFile(stateDir string) string { return api.StateDir(stateDir).DiscoveryCacheFile() }

// cache is the file's content.
type cache struct {
	Version   int       `json:"version"`
	Settings  string    `json:"settings"`  // settingsKey of the [discover] it was listed with
	Refreshed time.Time `json:"refreshed"` // when it was listed
	Accounts  []Account `json:"accounts"`
}

// readCache reads the cache file. A missing file is an empty cache; a file
// that is damaged or was written by another version is an error, and the
// caller lists anew.
func readCache(path string) (cache, error) {
	data, err := filetrust.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cache{}, nil
	}
	if err != nil {
		return cache{}, fmt.Errorf("reading the discovered accounts: %w", err)
	}
	var c cache
	if err := json.Unmarshal(data, &c); err != nil {
		return cache{}, fmt.Errorf("%s is damaged (%v): hopd lists the accounts anew", path, err)
	}
	if c.Version != cacheVersion {
		return cache{}, fmt.Errorf("%s was written by another version of hopd: hopd lists the accounts anew", path)
	}
	names, ids := map[string]bool{}, map[string]bool{}
	for _, a := range c.Accounts {
		if !config.ValidAccountName(a.Name) || !config.IsAccountID(a.ID) || names[a.Name] || ids[a.ID] {
			return cache{}, fmt.Errorf("%s is damaged (account %q): hopd lists the accounts anew", path, a.Name)
		}
		names[a.Name], ids[a.ID] = true, true
	}
	return c, nil
}

// LoadCache returns the accounts of the last listing kept in stateDir, for
// commands that work without the daemon. None is not an error.
func LoadCache(stateDir string) ([]Account, error) {
	c, err := readCache(CacheFile(stateDir))
	return c.Accounts, err
}

// writeCache replaces the cache file atomically: a crash leaves the old
// file or the new one, never half of one.
func writeCache(path string, c cache) error {
	c.Version = cacheVersion
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(data, '\n'), 0o600)
}
