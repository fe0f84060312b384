package sso

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc/types"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/config"
)

// loginTTL bounds a sign-in that the person does not finish.
const loginTTL = 10 * time.Minute

// login is a sign-in under way.
type login struct {
	info   api.SSOLogin
	cancel context.CancelFunc
}

// Login starts a sign-in to the [[sso]] name and returns at once with the
// page the person must open; the sign-in finishes in the background,
// bounded by ctx and loginTTL. The browser gets the authorization-code
// flow with PKCE; without one (noBrowser, no Open, or Open failing) it is
// the device code. A Login while one is under way returns that one.
func (c *Client) Login(ctx context.Context, name string, noBrowser bool) (api.SSOLogin, error) {
	b, err := c.block(name)
	if err != nil {
		return api.SSOLogin{}, err
	}
	c.mu.Lock()
	if l := c.logins[name]; l != nil {
		c.mu.Unlock()
		return l.info, nil
	}
	c.mu.Unlock()
	reg, err := c.register(ctx, name, b)
	if err != nil {
		c.failed(name, err)
		return api.SSOLogin{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, loginTTL)
	var info api.SSOLogin
	var wait func(context.Context) (*ssooidc.CreateTokenOutput, error)
	if !noBrowser && c.opts.Open != nil {
		info, wait, err = c.startBrowser(ctx, name, b, reg)
	}
	if noBrowser || c.opts.Open == nil || err != nil {
		if err != nil {
			c.log.Info("signing in with a device code instead of the browser", "sso", name, "reason", err)
		}
		info, wait, err = c.startDevice(ctx, name, b, reg)
		var gone *types.InvalidClientException
		if errors.As(err, &gone) {
			// Identity Center forgot the registration kept here: register anew.
			_ = c.opts.Store.DeleteSSO(name, partClient)
			if reg, err = c.register(ctx, name, b); err == nil {
				info, wait, err = c.startDevice(ctx, name, b, reg)
			}
		}
	}
	if err != nil {
		cancel()
		c.failed(name, err)
		return api.SSOLogin{}, err
	}
	c.mu.Lock()
	if l := c.logins[name]; l != nil { // another Login won the race
		c.mu.Unlock()
		cancel()
		return l.info, nil
	}
	c.logins[name] = &login{info: info, cancel: cancel}
	delete(c.errs, name)
	c.mu.Unlock()
	go c.finish(ctx, cancel, name, b, wait)
	return info, nil
}

// finish waits for the sign-in and keeps its token.
func (c *Client) finish(ctx context.Context, cancel context.CancelFunc, name string, b config.SSO, wait func(context.Context) (*ssooidc.CreateTokenOutput, error)) {
	defer cancel()
	out, err := wait(ctx)
	if err == nil {
		err = c.save(name, c.tokenFrom(b, out, time.Time{}))
	}
	c.mu.Lock()
	delete(c.logins, name)
	hooks := c.hooks
	c.mu.Unlock()
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("the sign-in to %s was not finished within %s: run `hopd sso login %s` again", name, loginTTL, name)
		}
		c.failed(name, err)
		return
	}
	c.log.Info("signed in to IAM Identity Center", "sso", name, "start_url", b.StartURL)
	for _, h := range hooks {
		h(name)
	}
}

// startBrowser opens the authorization page with a PKCE challenge and
// a one-use state, and waits for the browser on a loopback callback.
func (c *Client) startBrowser(ctx context.Context, name string, b config.SSO, reg *registration) (api.SSOLogin, func(context.Context) (*ssooidc.CreateTokenOutput, error), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return api.SSOLogin{}, nil, fmt.Errorf("cannot listen on 127.0.0.1 for the sign-in's callback: %w", err)
	}
	verifier, state := randomString(), randomString()
	sum := sha256.Sum256([]byte(verifier))
	redirect := "http://" + ln.Addr().String() + "/oauth/callback"
	q := url.Values{
		"response_type": {"code"}, "client_id": {reg.ClientID}, "redirect_uri": {redirect}, "state": {state},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
		"scopes": {"sso:account:access"},
	}
	page := authorizeURL(b, &reg.AuthorizeURL) + "?" + q.Encode()

	type result struct {
		out *ssooidc.CreateTokenOutput
		err error
	}
	done := make(chan result, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/oauth/callback", func(w http.ResponseWriter, r *http.Request) {
		rq := r.URL.Query()
		if rq.Get("state") != state {
			// Not our sign-in (an old tab, another program): keep waiting.
			callbackPage(w, http.StatusBadRequest, "This sign-in link is not the one hopd is waiting for. Start again with hopd sso login "+name+".")
			return
		}
		var res result
		if e := rq.Get("error"); e != "" {
			res.err = fmt.Errorf("IAM Identity Center %s refused the sign-in (%s): run `hopd sso login %s` to try again", name, e, name)
		} else {
			cctx, cancel := withTimeout(ctx)
			res.out, res.err = c.oidc(b).CreateToken(cctx, &ssooidc.CreateTokenInput{
				ClientId: aws.String(reg.ClientID), ClientSecret: aws.String(reg.ClientSecret),
				GrantType: aws.String("authorization_code"), Code: aws.String(rq.Get("code")),
				RedirectUri: aws.String(redirect), CodeVerifier: aws.String(verifier),
			})
			cancel()
			if res.err != nil {
				res.err = fmt.Errorf("IAM Identity Center %s did not take the sign-in: %s", name, short(res.err))
			}
		}
		if res.err != nil {
			callbackPage(w, http.StatusBadRequest, "The sign-in to "+name+" failed: "+res.err.Error())
		} else {
			callbackPage(w, http.StatusOK, "Signed in to IAM Identity Center "+name+". You can close this tab.")
		}
		select {
		case done <- res:
		default:
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	if err := c.opts.Open(page); err != nil {
		_ = srv.Close()
		return api.SSOLogin{}, nil, err
	}
	info := api.SSOLogin{Name: name, URL: page, Opened: true, Expires: c.opts.Now().Add(loginTTL)}
	wait := func(ctx context.Context) (*ssooidc.CreateTokenOutput, error) {
		defer func() {
			// The page of the answer goes out before the listener closes.
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
		select {
		case r := <-done:
			return r.out, r.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return info, wait, nil
}

// startDevice starts the device-code flow: the person opens the page on
// any device and confirms the code; hopd polls at the interval asked.
func (c *Client) startDevice(ctx context.Context, name string, b config.SSO, reg *registration) (api.SSOLogin, func(context.Context) (*ssooidc.CreateTokenOutput, error), error) {
	sctx, cancel := withTimeout(ctx)
	defer cancel()
	out, err := c.oidc(b).StartDeviceAuthorization(sctx, &ssooidc.StartDeviceAuthorizationInput{
		ClientId: aws.String(reg.ClientID), ClientSecret: aws.String(reg.ClientSecret), StartUrl: aws.String(b.StartURL),
	})
	if err != nil {
		return api.SSOLogin{}, nil, &awsError{msg: fmt.Sprintf("starting a device sign-in to IAM Identity Center %s failed: %s", name, short(err)), err: err}
	}
	page := aws.ToString(out.VerificationUriComplete)
	if page == "" {
		page = aws.ToString(out.VerificationUri)
	}
	expires := c.opts.Now().Add(time.Duration(out.ExpiresIn) * time.Second)
	info := api.SSOLogin{Name: name, URL: page, UserCode: aws.ToString(out.UserCode), Expires: expires}
	interval := time.Duration(out.Interval) * time.Second
	if interval <= 0 {
		interval = 5 * time.Second
	}
	device := aws.ToString(out.DeviceCode)
	wait := func(ctx context.Context) (*ssooidc.CreateTokenOutput, error) {
		for {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(interval):
			}
			pctx, cancel := withTimeout(ctx)
			tok, err := c.oidc(b).CreateToken(pctx, &ssooidc.CreateTokenInput{
				ClientId: aws.String(reg.ClientID), ClientSecret: aws.String(reg.ClientSecret),
				GrantType: aws.String("urn:ietf:params:oauth:grant-type:device_code"), DeviceCode: aws.String(device),
			})
			cancel()
			var pending *types.AuthorizationPendingException
			var slow *types.SlowDownException
			var expired *types.ExpiredTokenException
			var denied *types.AccessDeniedException
			switch {
			case err == nil:
				return tok, nil
			case errors.As(err, &pending):
			case errors.As(err, &slow):
				interval += 5 * time.Second
			case errors.As(err, &expired):
				return nil, fmt.Errorf("the code for %s expired before it was confirmed: run `hopd sso login %s` again", name, name)
			case errors.As(err, &denied):
				return nil, fmt.Errorf("the sign-in to %s was denied on the device page: run `hopd sso login %s` to try again", name, name)
			case ctx.Err() != nil:
				return nil, ctx.Err()
			default:
				return nil, fmt.Errorf("waiting for the device sign-in to %s failed: %s", name, short(err))
			}
		}
	}
	return info, wait, nil
}

func callbackPage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><html><head><meta charset=\"utf-8\"><title>hopd</title></head><body><p id=\"hopd-result\">%s</p></body></html>\n", html.EscapeString(msg))
}

// randomString is 32 random bytes, base64url: a PKCE verifier or a state.
func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
