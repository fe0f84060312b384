package main

import (
	"bufio"
	"strings"
	"testing"

	"github.com/hopd/hopd/internal/api"
)

func TestPick(t *testing.T) {
	accounts := []api.AccountStatus{
		{Name: "production", ID: "222222222222", Color: "#d13212"},
		{Name: "staging", ID: "333333333333", Color: "#ff9900"},
		{Name: "stage-eu", ID: "555555555555"},
	}
	for _, tc := range []struct {
		name, input, want, wantErr string
	}{
		{"by number", "2\n", "staging", ""},
		{"narrowed to one", "prod\n", "production", ""},
		{"narrowed, then a number of the narrowed list", "stag\n2\n", "stage-eu", ""},
		{"by id", "3333\n", "staging", ""},
		{"out of range, then good", "9\n1\n", "production", ""},
		{"no match, then cancel", "zzz\n\n", "", "no account chosen"},
		{"end of input", "", "", "no account chosen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			got, err := pick(bufio.NewReader(strings.NewReader(tc.input)), &out, accounts)
			if got != tc.want || (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("pick(%q) = %q, %v; want %q, %q\n%s", tc.input, got, err, tc.want, tc.wantErr, out.String())
			}
			if !strings.Contains(out.String(), "  1  ") || !strings.Contains(out.String(), "222222222222") {
				t.Errorf("the list does not number the accounts with their ids:\n%s", out.String())
			}
		})
	}
}
