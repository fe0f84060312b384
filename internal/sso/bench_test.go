package sso_test

import (
	"context"
	"testing"

	"github.com/hopd/hopd/internal/testenv"
)

// BenchmarkAssignments500x3 lists an organisation of 500 accounts with 3
// roles each through the stand-in, as discovery does every refresh: 1 +
// 500 portal pages' worth of calls (issue 11's target: under 3 s).
func BenchmarkAssignments500x3(b *testing.B) {
	m := testenv.SharedMoto(b)
	s := testenv.StartSSO(b, m.URL, testenv.SSOAccounts(500, "AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess"))
	f := &fixture{moto: m, s: s, store: &memStore{parts: map[string][]byte{}}}
	b.Setenv("AWS_ENDPOINT_URL_SSO", s.URL)
	b.Setenv("AWS_ENDPOINT_URL_SSO_OIDC", s.URL)
	f.c = newClient(f.store, s)
	s.SetDeviceInterval(1)
	s.SetDeviceAutoApprove(1)
	if _, err := f.c.Login(context.Background(), "acme", true); err != nil {
		b.Fatal(err)
	}
	testenv.Eventually(b, 30e9, func() bool { st, _, _, _ := f.c.State("acme"); return st == "signed-in" }, "no sign-in")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		got, err := f.c.Assignments(context.Background(), "acme")
		if err != nil || len(got) != 500 {
			b.Fatalf("listed %d accounts: %v", len(got), err)
		}
	}
}
