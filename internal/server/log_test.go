package server

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// TestLogsHoldNoSecrets runs every kind of request with debug logging and
// checks the log names route, account and status but no secret or token.
func TestLogsHoldNoSecrets(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	src := newFakeSource()
	delete(src.errs, "broken") // its error text holds the secret on purpose, for the response tests
	s := newTestServer(t, src, func(o *Options) { o.Logger = log })
	h := s.IMDSHandler(prodAcct, imdsPort)
	tok := imdsToken(t, s, h, imdsPort)

	serve(t, s.Handler(), authed(request(t, "GET", "/creds/production", testPort, "")))
	serve(t, s.Handler(), authed(request(t, "GET", "/creds/locked", testPort, "")))
	serve(t, s.Handler(), request(t, "GET", "/creds/production", testPort, ""))
	serve(t, s.Handler(), authed(request(t, "POST", "/v1/mfa", testPort, `{"code":"987654"}`)))
	src.mfaErr = errors.New("AWS refused the code 987654")
	serve(t, s.Handler(), authed(request(t, "POST", "/v1/mfa", testPort, `{"code":"987654"}`)))
	imdsGet(t, h, "/latest/meta-data/iam/security-credentials/"+prodAcct.Role, tok)
	imdsGet(t, h, "/latest/meta-data/iam/security-credentials/"+prodAcct.Role, "forged")

	out := buf.String()
	for _, secret := range []string{secretKey, sessTok, testToken, tok, "987654", "ASIAFIXTURE"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{`"route":"ecs"`, `"account":"production"`, `"status":200`, `"status":503`, `"status":401`, `"route":"imds-creds"`, `"duration"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %s:\n%s", want, out)
		}
	}
}
