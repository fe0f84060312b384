package main

import (
	"strings"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/api"
)

// A long error does not widen the table: it is numbered under it.
func TestPrintAccountsKeepsRowsNarrow(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	long := "cannot assume OrganizationAccountAccessRole in 333333333333: AccessDenied: User: arn:aws:iam::111111111111:user/michael is not authorized to perform: sts:AssumeRole"
	var b strings.Builder
	printAccounts(&b, []api.AccountStatus{
		{Name: "production", ID: "222222222222", Role: "OrganizationAccountAccessRole", Region: "eu-west-1", User: "michael", State: api.AccountFresh, Expires: now.Add(59 * time.Minute)},
		{Name: "staging", ID: "333333333333", Role: "OrganizationAccountAccessRole", Region: "eu-central-1", User: "michael", State: api.AccountError, LastError: long},
	}, now)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	for _, l := range lines[:3] {
		if len(l) > 100 {
			t.Errorf("a table row is %d columns; want at most 100:\n%s", len(l), l)
		}
	}
	if !strings.Contains(lines[2], "error [1]") || lines[len(lines)-1] != "[1] staging: "+long {
		t.Errorf("the error is not numbered under the table:\n%s", b.String())
	}
	if !strings.HasSuffix(lines[1], "  in 59m") {
		t.Errorf("production's expiry reads %q; want in 59m", lines[1])
	}
}
