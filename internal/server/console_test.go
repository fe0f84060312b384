package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/broker"
)

type badRegion struct{}

func (badRegion) Error() string    { return "region cn-north-1 is in partition aws-cn" }
func (badRegion) BadRequest() bool { return true }

func TestControlConsole(t *testing.T) {
	var got api.ConsoleRequest
	s := newTestServer(t, newFakeSource(), func(o *Options) {
		o.Console = func(_ context.Context, req api.ConsoleRequest) (api.ConsoleLink, error) {
			got = req
			account := req.Account
			switch account {
			case "production":
				return api.ConsoleLink{URL: "https://signin.example/federation?Action=login&SigninToken=T", Browser: "firefox {url}"}, nil
			case "locked":
				return api.ConsoleLink{}, &broker.UnavailableError{Account: account, Reason: "an MFA code is needed", Err: broker.ErrNeedMFA}
			case "cn":
				return api.ConsoleLink{}, badRegion{}
			case "refused":
				return api.ConsoleLink{}, errors.New("the AWS sign-in endpoint refused the credentials")
			}
			return api.ConsoleLink{}, fmt.Errorf("%w %q", broker.ErrUnknownAccount, account)
		}
	})
	w := serve(t, s.Handler(), authed(request(t, "GET", "/v1/console/production?region=eu-central-1&service=ddb&path=p&url=u&logout=1", testPort, "")))
	var link api.ConsoleLink
	if err := json.Unmarshal(w.Body.Bytes(), &link); w.Code != 200 || err != nil || link.Browser != "firefox {url}" || link.URL == "" {
		t.Fatalf("GET /v1/console/production: %d %s (%v)", w.Code, w.Body, err)
	}
	if want := (api.ConsoleRequest{Account: "production", Region: "eu-central-1", Service: "ddb", Path: "p", URL: "u", Logout: true}); got != want {
		t.Errorf("Console was asked for %+v; want %+v", got, want)
	}
	for acct, want := range map[string]int{"locked": 503, "cn": 400, "refused": 502, "nosuch": 404} {
		w := serve(t, s.Handler(), authed(request(t, "GET", "/v1/console/"+acct, testPort, "")))
		if w.Code != want || w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("GET /v1/console/%s: %d %s; want %d with a JSON error", acct, w.Code, w.Body, want)
		}
	}
	if w := serve(t, s.Handler(), authed(request(t, "POST", "/v1/console/production", testPort, ""))); w.Code != 405 {
		t.Errorf("POST /v1/console/production: %d; want 405", w.Code)
	}
	if w := serve(t, s.Handler(), request(t, "GET", "/v1/console/production", testPort, "")); w.Code != 401 {
		t.Errorf("GET /v1/console/production without the token: %d; want 401", w.Code)
	}
	none := newTestServer(t, newFakeSource())
	if w := serve(t, none.Handler(), authed(request(t, "GET", "/v1/console/production", testPort, ""))); w.Code != 404 {
		t.Errorf("a server without Console: %d; want 404", w.Code)
	}
}
