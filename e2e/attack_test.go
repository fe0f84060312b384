package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/hopd/hopd/internal/api"
)

// attackPage is a hostile web page. It throws every request a page can
// make at hopd's endpoints and records, for each, whether the page could
// read anything of the answer. The last one, to its own origin, must be
// readable: it shows that the page would notice a readable answer.
var attackPage = template.Must(template.New("attack").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>a page on another origin</title></head>
<body><iframe name="sink" id="sink"></iframe>
<script>
const T = {{.}};
const results = [];
window.results = results;
function rec(name, readable, detail) { results.push({name, readable, detail: String(detail).slice(0, 160)}); }

async function tryFetch(name, url, init) {
  try {
    const r = await fetch(url, init || {});
    let body = '';
    try { body = await r.text(); } catch (e) {}
    rec(name, r.type !== 'opaque' || r.status !== 0 || body !== '', 'type=' + r.type + ' status=' + r.status + ' body=' + body.slice(0, 80));
  } catch (e) { rec(name, false, e.name); }
}
function tryXHR(name, method, url, headers) {
  return new Promise((done) => {
    const x = new XMLHttpRequest();
    x.open(method, url);
    x.withCredentials = true;
    for (const [k, v] of Object.entries(headers || {})) x.setRequestHeader(k, v);
    x.onload = () => { rec(name, x.status !== 0 || x.responseText !== '', 'status=' + x.status + ' ' + x.responseText.slice(0, 80)); done(); };
    x.onerror = () => { rec(name, false, 'error'); done(); };
    x.send();
  });
}
function tryTag(name, tag, url) {
  return new Promise((done) => {
    const e = document.createElement(tag);
    const t = setTimeout(() => { rec(name, false, 'no load event'); done(); }, 5000);
    e.onload = () => { clearTimeout(t); rec(name, true, 'loaded'); done(); };
    e.onerror = () => { clearTimeout(t); rec(name, false, 'error'); done(); };
    e.src = url;
    document.body.append(e);
  });
}
function tryEvents(name, url) {
  return new Promise((done) => {
    const es = new EventSource(url, {withCredentials: true});
    const t = setTimeout(() => { es.close(); rec(name, false, 'nothing'); done(); }, 5000);
    const got = (e) => { clearTimeout(t); es.close(); rec(name, true, e.data); done(); };
    es.onmessage = got;
    es.addEventListener('status', got);
    es.onerror = () => { clearTimeout(t); es.close(); rec(name, false, 'error'); done(); };
  });
}
// peek reads what a frame holds, which it may not when the frame is of
// another origin.
function peek(frame) {
  try {
    const doc = frame.contentDocument;
    const text = doc && doc.body ? doc.body.innerText : '';
    return [text !== '', text || 'empty'];
  } catch (e) { return [false, e.name]; }
}
function tryForm(name, url, fields) {
  return new Promise((done) => {
    const sink = document.getElementById('sink');
    const f = document.createElement('form');
    f.method = 'POST';
    f.action = url;
    f.target = 'sink';
    for (const [k, v] of Object.entries(fields)) {
      const i = document.createElement('input');
      i.type = 'hidden'; i.name = k; i.value = v;
      f.append(i);
    }
    document.body.append(f);
    const finish = () => { clearTimeout(t); const [r, d] = peek(sink); rec(name, r, d); done(); };
    const t = setTimeout(finish, 5000);
    sink.onload = finish;
    f.submit();
  });
}
function tryFrame(name, url) {
  return new Promise((done) => {
    const fr = document.createElement('iframe');
    const finish = () => { clearTimeout(t); const [r, d] = peek(fr); rec(name, r, d); done(); };
    const t = setTimeout(finish, 5000);
    fr.onload = finish;
    fr.src = url;
    document.body.append(fr);
  });
}

async function attack() {
  const creds = T.hopd + '/creds/production';
  const imdsCreds = T.imds + '/latest/meta-data/iam/security-credentials/' + T.role;
  const inc = {credentials: 'include'};
  const noCors = {mode: 'no-cors', credentials: 'include'};
  const post = (body) => ({method: 'POST', mode: 'no-cors', credentials: 'include', headers: {'Content-Type': 'text/plain'}, body});
  await Promise.all([
    tryFetch('ecs fetch', creds, inc),
    tryFetch('ecs fetch with Authorization', creds, {headers: {Authorization: 'guess'}}),
    tryFetch('ecs fetch no-cors', creds, noCors),
    tryXHR('ecs xhr', 'GET', creds),
    tryTag('ecs img', 'img', creds),
    tryTag('ecs script', 'script', creds),
    tryFetch('imds token put', T.imds + '/latest/api/token', {method: 'PUT', headers: {'X-aws-ec2-metadata-token-ttl-seconds': '60'}}),
    tryXHR('imds token xhr put', 'PUT', T.imds + '/latest/api/token', {'X-aws-ec2-metadata-token-ttl-seconds': '60'}),
    tryFetch('imds creds no-cors', imdsCreds, noCors),
    tryXHR('imds creds xhr', 'GET', imdsCreds),
    tryTag('imds creds img', 'img', imdsCreds),
    tryTag('imds creds script', 'script', imdsCreds),
    tryFetch('control status fetch', T.hopd + '/v1/status', inc),
    tryXHR('control status xhr', 'GET', T.hopd + '/v1/status'),
    tryTag('control status script', 'script', T.hopd + '/v1/status'),
    tryFetch('control mfa post no-cors', T.hopd + '/v1/mfa', post('{"code":"123456"}')),
    tryFetch('control reload post no-cors', T.hopd + '/v1/reload', post('{}')),
    tryFetch('control dashboard-link post no-cors', T.hopd + '/v1/dashboard-link', post('{}')),
    tryFetch('dashboard status fetch', T.hopd + '/api/status', inc),
    tryFetch('dashboard status no-cors', T.hopd + '/api/status', noCors),
    tryXHR('dashboard status xhr', 'GET', T.hopd + '/api/status'),
    tryTag('dashboard status script', 'script', T.hopd + '/api/status'),
    tryTag('dashboard page img', 'img', T.hopd + '/'),
    tryEvents('dashboard events', T.hopd + '/api/events'),
    tryFetch('dashboard mfa post no-cors', T.hopd + '/api/mfa', post('{"code":"123456"}')),
    tryFetch('dashboard mfa post with csrf header', T.hopd + '/api/mfa', {method: 'POST', credentials: 'include', headers: {'Content-Type': 'application/json', 'X-Hopd-Csrf': 'guess'}, body: '{"code":"123456"}'}),
    tryFetch('dashboard reload post no-cors', T.hopd + '/api/reload', post('{}')),
    tryFetch('dashboard console post no-cors', T.hopd + '/api/console', post('{"account":"production"}')),
    tryFetch('rebinding ecs', T.rebind + '/creds/production', noCors),
    tryFetch('rebinding dashboard status', T.rebind + '/api/status', noCors),
    tryFetch('rebinding dashboard mfa post', T.rebind + '/api/mfa', post('{"code":"123456"}')),
    tryFetch('rebinding imds creds', T.rebindIMDS + '/latest/meta-data/iam/security-credentials/' + T.role, noCors),
    tryTag('rebinding imds img', 'img', T.rebindIMDS + '/latest/api/token'),
  ]);
  await tryForm('control mfa form', T.hopd + '/v1/mfa', {code: '123456'});
  await tryForm('control reload form', T.hopd + '/v1/reload', {x: '1'});
  await tryForm('dashboard mfa form', T.hopd + '/api/mfa', {code: '123456'});
  await tryForm('dashboard reload form', T.hopd + '/api/reload', {x: '1'});
  await tryForm('dashboard console form', T.hopd + '/api/console', {account: 'production'});
  await tryForm('rebinding dashboard reload form', T.rebind + '/api/reload', {x: '1'});
  await tryFrame('dashboard page frame', T.hopd + '/');
  await tryFrame('rebinding dashboard page frame', T.rebind + '/');
  await tryFetch('control: own origin', location.origin + '/own', {});
  window.done = true;
}
attack();
</script></body></html>`))

// attackResult is one attempt as the hostile page saw it.
type attackResult struct {
	Name     string `json:"name"`
	Readable bool   `json:"readable"`
	Detail   string `json:"detail"`
}

// TestBrowserAttacks: web pages the browser has open, on another loopback
// port and on a name that resolves to 127.0.0.1, throw fetch, XHR, forms,
// <img>, <script>, frames, event streams and DNS-rebinding-style requests
// at the ECS endpoint, an IMDS port, the control API and the dashboard,
// while the same browser holds a dashboard session. From the pages nothing
// is readable; on the server no credentials are served, no MFA code is
// taken, nothing is reloaded and no console is opened, although the
// requests arrive.
func TestBrowserAttacks(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, options{accounts: []account{{Name: "production", ID: "222222222222", IMDS: true}}, mfa: true, serveArgs: []string{"--log-level", "debug"}})
	f := startFederation(t, d.moto)
	o := newOpener(t)
	d.WriteConfig(d.dashboardConfig(f, map[string]opener{"production": o}))
	d.setKeys(iamKeyID, iamSecret)
	d.start()
	d.ecs("production")
	d.mustRun("mfa", "123456")
	d.waitECS("production")
	if _, err := d.imdsCreds("production"); err != nil {
		t.Fatalf("IMDS before the attacks: %v", err)
	}

	// The attacker's site: one server, reached as 127.0.0.1:PORT and as
	// evil.test:PORT, a name the browser resolves to 127.0.0.1.
	_, hopdPort, _ := net.SplitHostPort(d.Listen)
	imdsPort := strconv.Itoa(d.ports["production"])
	targets := map[string]string{
		"hopd":       "http://" + d.Listen,
		"imds":       "http://127.0.0.1:" + imdsPort,
		"rebind":     "http://evil.test:" + hopdPort,
		"rebindIMDS": "http://evil.test:" + imdsPort,
		"role":       defaultRole,
	}
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/own" {
			fmt.Fprint(w, "the attacker's own data")
			return
		}
		if name, ok := strings.CutPrefix(r.URL.Path, "/toss/"); ok {
			// Cookie tossing: cookies ignore ports, so a page on another
			// 127.0.0.1 port plants one of the session's name with a longer
			// path, which the browser then sends first to hopd's /api/.
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, "<script>document.cookie = %q; window.done = true;</script>", name+"=tossed; path=/api")
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = attackPage.Execute(w, targets)
	}))
	t.Cleanup(evil.Close)
	_, evilPort, _ := net.SplitHostPort(strings.TrimPrefix(evil.URL, "http://"))

	ctx := newBrowser(t, chromedp.Flag("host-resolver-rules", "MAP evil.test 127.0.0.1"))
	link := strings.TrimSpace(d.mustRun("dashboard", "--print"))
	if err := chromedp.Do(ctx, chromedp.Navigate(link)); err != nil {
		t.Fatal(err)
	}
	waitPage(t, ctx, 15*time.Second, `location.pathname === '/' && document.querySelectorAll('#accounts li.account').length === 1`, "the dashboard opens")
	csrf := js[string](t, ctx, `document.querySelector('meta[name="hopd-csrf"]').content`)
	if c := js[string](t, ctx, `document.cookie`); c != "" {
		t.Errorf("the dashboard's script can read its cookies (%q); want the session cookie HttpOnly", c)
	}
	cookies, err := chromedp.Run(ctx, func(ctx2 context.Context, tg *chromedp.Target) ([]*network.Cookie, error) {
		r, err := cdp.Call(ctx2, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{"http://" + d.Listen + "/"}})
		return r.Cookies, err
	})
	if err != nil || len(cookies) != 1 {
		t.Fatalf("the browser holds %d cookies for hopd (%v); want the session cookie", len(cookies), err)
	}
	session := cookies[0]
	if !session.HTTPOnly || session.SameSite != network.CookieSameSiteStrict || session.Path != "/" {
		t.Errorf("the session cookie is HttpOnly %v, SameSite %q, Path %q; want HttpOnly, Strict, /", session.HTTPOnly, session.SameSite, session.Path)
	}

	served := func() int {
		n := 0
		for line := range strings.Lines(d.Log()) {
			if strings.Contains(line, "status=200") && (strings.Contains(line, "route=ecs ") || strings.Contains(line, "route=imds-creds ")) {
				n++
			}
		}
		return n
	}
	before := struct{ served, sessions, reloads, refused, guard int }{
		served(), d.proxy.Count("GetSessionToken"), strings.Count(d.Log(), `msg="config reloaded"`),
		strings.Count(d.Log(), `msg="dashboard refused a request"`), strings.Count(d.Log(), "route=guard"),
	}

	for _, origin := range []string{"http://127.0.0.1:" + evilPort, "http://evil.test:" + evilPort} {
		t.Run(origin, func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.Navigate(origin+"/attack")); err != nil {
				t.Fatalf("opening the hostile page: %v", err)
			}
			waitPage(t, ctx, 40*time.Second, `window.done === true`, "the hostile page finishes its attempts")
			var results []attackResult
			if err := json.Unmarshal([]byte(js[string](t, ctx, `JSON.stringify(window.results)`)), &results); err != nil {
				t.Fatal(err)
			}
			if len(results) < 40 {
				t.Errorf("the page made %d attempts; want every one of them", len(results))
			}
			for _, r := range results {
				if r.Name == "control: own origin" {
					if !r.Readable {
						t.Errorf("the page could not read its own origin (%s): it would not notice a readable answer either", r.Detail)
					}
					continue
				}
				if r.Readable {
					t.Errorf("%s: the page read the answer: %s", r.Name, r.Detail)
				}
			}
		})
	}

	// The attempts reached hopd and were refused there.
	log := d.Log()
	for _, path := range []string{"/api/mfa", "/api/reload", "/api/console", "/api/status", "/api/events", "/"} {
		if !strings.Contains(log, `msg="dashboard refused a request" method=POST path=`+path+" ") && !strings.Contains(log, `msg="dashboard refused a request" method=GET path=`+path+" ") {
			t.Errorf("hopd's log shows no refused request for %s: the attacks did not reach it, so they prove nothing", path)
		}
	}
	if n := strings.Count(log, "route=guard") - before.guard; n < 4 {
		t.Errorf("hopd refused %d requests at its guard (Host, browser headers); want the rebinding and control attempts there", n)
	}
	// And changed nothing.
	if n := served() - before.served; n != 0 {
		t.Errorf("hopd served credentials %d times during the attacks", n)
	}
	if n := d.proxy.Count("GetSessionToken") - before.sessions; n != 0 {
		t.Errorf("the attacks made %d GetSessionToken calls: an MFA code got through", n)
	}
	if got := d.userState(); got != api.UserOK {
		t.Errorf("after the attacks the user is %q; want ok, as before", got)
	}
	if n := strings.Count(log, `msg="config reloaded"`) - before.reloads; n != 0 {
		t.Errorf("the attacks reloaded the config %d times", n)
	}
	if urls := o.urls(); len(urls) != 0 {
		t.Errorf("the attacks opened the console: %v", urls)
	}

	// A stolen cookie and CSRF token would still not pass a rebound Host.
	for _, tc := range []struct {
		method, host string
		want         int
	}{
		{"GET", d.Listen, http.StatusOK}, // the control: the session works
		{"GET", "evil.test:" + hopdPort, http.StatusForbidden},
		{"POST", "evil.test:" + hopdPort, http.StatusForbidden},
	} {
		path := "/api/status"
		if tc.method == "POST" {
			path = "/api/reload"
		}
		req := newRequest(t, tc.method, "http://"+d.Listen+path, map[string]string{
			"Host": tc.host, "Origin": "http://" + tc.host, "Sec-Fetch-Site": "same-origin",
			"Cookie": session.Name + "=" + session.Value, "X-Hopd-Csrf": csrf, "Content-Type": "application/json",
		})
		if r := do(t, httpClient, req); r.status != tc.want {
			t.Errorf("%s %s with the session and Host %s: %d %s; want %d", tc.method, path, tc.host, r.status, r.shown(), tc.want)
		}
	}

	// The person's own dashboard still works after all this, tossed cookie included.
	if err := chromedp.Do(ctx, chromedp.Navigate("http://127.0.0.1:"+evilPort+"/toss/"+session.Name)); err != nil {
		t.Fatal(err)
	}
	waitPage(t, ctx, 15*time.Second, `window.done === true`, "the tossing page plants its cookie")
	tossed, err := chromedp.Run(ctx, func(ctx2 context.Context, tg *chromedp.Target) ([]*network.Cookie, error) {
		r, err := cdp.Call(ctx2, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{"http://" + d.Listen + "/api/status"}})
		return r.Cookies, err
	})
	if err != nil || len(tossed) != 2 {
		t.Errorf("the browser holds %d cookies for hopd's /api/ (%v); want the session's and the tossed one, or the test proves nothing", len(tossed), err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("http://"+d.Listen+"/")); err != nil {
		t.Fatal(err)
	}
	waitPage(t, ctx, 15*time.Second, `document.querySelector('[data-account=production]') !== null && document.getElementById('session').textContent.startsWith('Session valid')`,
		"the dashboard still works in the attacked browser")
}
