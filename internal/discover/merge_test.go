package discover

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/config"
)

func configDiscover(pattern string, exclude []string) config.Discover {
	return config.Discover{Organizations: true, NamePattern: pattern, Exclude: exclude}
}

func parse(t *testing.T, src string) *config.Config {
	t.Helper()
	c, err := config.Parse("config.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const mergeConfig = `
[user]
name = "michael"
region = "eu-west-1"

[[account]]
name = "prod"
id = "222222222222"
color = "red"
region = "us-west-2"
imds_port = 9921

[[account]]
name = "staging"
id = "999999999999"

[discover]
organizations = true
role = "Admin"
exclude = ["Audit"]
`

func TestMerge(t *testing.T) {
	cfg := parse(t, mergeConfig)
	orig := *cfg
	origAccounts := append([]config.Account(nil), cfg.Accounts...)
	found := []Account{
		{Name: "production", ID: "222222222222", AWSName: "Production"}, // configured as prod
		{Name: "staging", ID: "333333333333", AWSName: "Staging"},       // name taken by another id
		{Name: "audit", ID: "444444444444", AWSName: "Audit"},           // excluded
		{Name: "sandbox", ID: "555555555555", AWSName: "Sandbox"},
	}
	got := Merge(cfg, found)

	want := []config.Account{
		origAccounts[0],
		origAccounts[1],
		{Name: "staging-3333", ID: "333333333333", Role: "Admin", Color: config.DefaultColor("staging-3333"), Region: "eu-west-1", User: "michael"},
		{Name: "sandbox", ID: "555555555555", Role: "Admin", Color: config.DefaultColor("sandbox"), Region: "eu-west-1", User: "michael"},
	}
	if !reflect.DeepEqual(got.Accounts, want) {
		t.Errorf("merged accounts:\n got %+v\nwant %+v", got.Accounts, want)
	}
	if p, _ := got.Account("prod"); p.Color != "#ff0000" || p.IMDSPort != 9921 || p.Region != "us-west-2" {
		t.Errorf("the configured account lost its settings: %+v", p)
	}
	if !reflect.DeepEqual(cfg.Accounts, origAccounts) || cfg.Listen != orig.Listen {
		t.Error("Merge modified its input")
	}
	if got.Listen != cfg.Listen || !reflect.DeepEqual(got.Users, cfg.Users) || got.Path != cfg.Path {
		t.Errorf("Merge lost the rest of the config: %+v", got)
	}
	// The result is a valid set of accounts: unique names and ids.
	seen := map[string]bool{}
	for _, a := range got.Accounts {
		if seen[a.Name] || seen[a.ID] {
			t.Errorf("duplicate name or id in %+v", got.Accounts)
		}
		seen[a.Name], seen[a.ID] = true, true
	}
}

func TestMergeNothingToAdd(t *testing.T) {
	cfg := parse(t, mergeConfig)
	if got := Merge(cfg, nil); got != cfg {
		t.Error("Merge with nothing found did not return the config itself")
	}
	off := parse(t, "[user]\nname = \"m\"\n")
	if got := Merge(off, []Account{{Name: "x", ID: "555555555555"}}); got != off {
		t.Error("Merge added accounts although discovery is off")
	}
}

func TestMergeConfigNameLikeFallback(t *testing.T) {
	// Every candidate name of the discovered account is taken by the
	// config: it still gets one of its own.
	cfg := parse(t, `
[user]
name = "m"
[[account]]
name = "prod"
id = "222222222222"
[[account]]
name = "prod-3333"
id = "777777777777"
[[account]]
name = "prod-333333333333"
id = "888888888888"
[discover]
organizations = true
`)
	got := Merge(cfg, []Account{{Name: "prod", ID: "333333333333", AWSName: "Prod"}})
	if a := got.Accounts[3]; a.Name != "account-333333333333" {
		t.Errorf("got %q, want account-333333333333", a.Name)
	}
}

func TestCacheRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "discovered-accounts.json")
	want := cache{Settings: "k", Refreshed: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Accounts: []Account{{Name: "prod", ID: "222222222222", AWSName: "Prod"}}}
	if err := writeCache(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := readCache(path)
	want.Version = cacheVersion
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("readCache = %+v, %v; want %+v", got, err, want)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("cache file mode: %v, %v; want 0600", fi.Mode(), err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("writing the cache left other files: %v", entries)
	}

	for name, content := range map[string]string{
		"not json":       "{",
		"other version":  `{"version": 99, "accounts": []}`,
		"bad name":       `{"version": 1, "accounts": [{"name": "Prod", "id": "222222222222"}]}`,
		"bad id":         `{"version": 1, "accounts": [{"name": "prod", "id": "2222"}]}`,
		"duplicate name": `{"version": 1, "accounts": [{"name": "p", "id": "222222222222"}, {"name": "p", "id": "333333333333"}]}`,
	} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if c, err := readCache(path); err == nil || len(c.Accounts) != 0 {
			t.Errorf("%s: readCache = %+v, %v; want an error and no accounts", name, c, err)
		}
	}
	if c, err := readCache(filepath.Join(t.TempDir(), "none.json")); err != nil || len(c.Accounts) != 0 {
		t.Errorf("a missing cache: %+v, %v; want empty and no error", c, err)
	}
}
