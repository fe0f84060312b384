package discover

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hopd/hopd/internal/config"
)

func names(as []Account) map[string]string {
	m := map[string]string{}
	for _, a := range as {
		m[a.ID] = a.Name
	}
	return m
}

func TestAssignNamesCollisions(t *testing.T) {
	found := []Account{
		{ID: "333333333333", AWSName: "Prod"},
		{ID: "222222222222", AWSName: "prod"},
		{ID: "444444444444", AWSName: "PROD!"},
		{ID: "555555555555", AWSName: "Staging"},
	}
	got := names(assignNames(found, nil))
	want := map[string]string{
		"222222222222": "prod", // lowest id first when nothing was named before
		"333333333333": "prod-3333",
		"444444444444": "prod-4444",
		"555555555555": "staging",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	// The same input gives the same names, in any order.
	rev := []Account{found[3], found[2], found[1], found[0]}
	if again := names(assignNames(rev, nil)); !reflect.DeepEqual(again, want) {
		t.Errorf("reordered input: %v; want %v", again, want)
	}
}

func TestAssignNamesAreSticky(t *testing.T) {
	prev := assignNames([]Account{{ID: "333333333333", AWSName: "Prod"}}, nil)
	// An account with a lower id and the same name joins later: the first
	// keeps its name.
	got := names(assignNames([]Account{
		{ID: "222222222222", AWSName: "Prod"},
		{ID: "333333333333", AWSName: "Prod"},
	}, prev))
	want := map[string]string{"333333333333": "prod", "222222222222": "prod-2222"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// A suffixed name stays suffixed after the other one leaves, and a
	// renamed account gets its new name.
	prev = assignNames([]Account{{ID: "222222222222", AWSName: "Prod"}, {ID: "333333333333", AWSName: "Prod"}}, nil)
	got = names(assignNames([]Account{{ID: "333333333333", AWSName: "Prod"}, {ID: "444444444444", AWSName: "Old"}}, prev))
	if got["333333333333"] != "prod-3333" {
		t.Errorf("the remaining account was renamed to %q; want prod-3333 kept", got["333333333333"])
	}
	got = names(assignNames([]Account{{ID: "333333333333", AWSName: "Production"}}, prev))
	if got["333333333333"] != "production" {
		t.Errorf("an account renamed in AWS is called %q; want production", got["333333333333"])
	}
}

func TestFilter(t *testing.T) {
	a := func(id, name string) Account {
		return Account{ID: id, AWSName: name, Name: config.AccountNameFrom(name, id)}
	}
	tests := []struct {
		pattern string
		exclude []string
		acct    Account
		keep    bool
	}{
		{"", nil, a("222222222222", "Prod"), true},
		{"prod*", nil, a("222222222222", "Production EU"), true},
		{"PROD*", nil, a("222222222222", "production"), true},
		{"prod-*", nil, a("222222222222", "Prod EU"), true}, // matches hopd's name prod-eu
		{"prod?", nil, a("222222222222", "prod"), false},
		{"*[x]*", nil, a("222222222222", "a[x]b"), true}, // brackets are literal
		{"", []string{"222222222222"}, a("222222222222", "Prod"), false},
		{"", []string{"audit"}, a("222222222222", "Audit"), false},
		{"", []string{"log-archive"}, a("222222222222", "Log Archive"), false},
		{"", []string{"333333333333", "Audit"}, a("222222222222", "Prod"), true},
	}
	for _, tt := range tests {
		f := newFilter(configDiscover(tt.pattern, tt.exclude))
		if got := f.keep(tt.acct); got != tt.keep {
			t.Errorf("pattern %q exclude %q: keep(%+v) = %v, want %v", tt.pattern, tt.exclude, tt.acct, got, tt.keep)
		}
	}
}

// FuzzAssignNames: whatever the accounts are called in AWS, the names
// they get are valid and unique. (The naming itself is fuzzed in config.)
func FuzzAssignNames(f *testing.F) {
	for _, s := range []string{"Production", "Société Générale", "日本", "", "--", strings.Repeat("a", 100)} {
		f.Add(s, s+"x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		got := assignNames([]Account{{ID: "222222222222", AWSName: a}, {ID: "333333333333", AWSName: b}, {ID: "444444444444", AWSName: a}}, nil)
		seen := map[string]bool{}
		for _, acct := range got {
			if seen[acct.Name] || !config.ValidAccountName(acct.Name) {
				t.Fatalf("names %+v are not unique and valid", got)
			}
			seen[acct.Name] = true
		}
	})
}
