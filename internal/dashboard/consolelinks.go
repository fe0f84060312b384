package dashboard

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"
)

const (
	// consoleLinkTTL is how long a one-time console link works: a browser
	// starts in seconds, and the sign-in token behind it lasts 15 minutes.
	consoleLinkTTL = time.Minute
	// maxConsoleLinks caps the links waiting to be opened.
	maxConsoleLinks = 32
)

// ConsolePrefix is the path of the one-time console links.
const ConsolePrefix = "/console/"

var errTooManyConsoleLinks = errors.New("too many console links are waiting to be opened; open one of them or wait a minute")

// consoleLinks holds the sign-in URLs that one-time links lead to. The
// browser is handed the link, never the sign-in URL: a command line is
// readable by every user of the machine (/proc/PID/cmdline), and the
// sign-in URL lets whoever has it into the console for 15 minutes. The
// link itself is worthless to another user: the server refuses their
// connections, and it works once.
type consoleLinks struct {
	now func() time.Time

	mu    sync.Mutex
	links map[[32]byte]consoleLink // digest of the link's id -> where it leads
}

type consoleLink struct {
	target  string
	expires time.Time
}

func newConsoleLinks(now func() time.Time) *consoleLinks {
	return &consoleLinks{now: now, links: map[[32]byte]consoleLink{}}
}

func (c *consoleLinks) add(target string) (string, error) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, l := range c.links {
		if !now.Before(l.expires) {
			delete(c.links, k)
		}
	}
	if len(c.links) >= maxConsoleLinks {
		return "", errTooManyConsoleLinks
	}
	id := randomToken()
	c.links[sha256.Sum256([]byte(id))] = consoleLink{target: target, expires: now.Add(consoleLinkTTL)}
	return id, nil
}

// take uses up a link: its target, or false when it is unknown, used or
// expired.
func (c *consoleLinks) take(id string) (string, bool) {
	key := sha256.Sum256([]byte(id))
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.links[key]
	delete(c.links, key)
	if !ok || !c.now().Before(l.expires) {
		return "", false
	}
	return l.target, true
}

// NewConsoleLink returns a one-time link under base (for example
// http://127.0.0.1:9911) that redirects to target, a console sign-in URL.
// It works once, within a minute.
func (d *Dashboard) NewConsoleLink(base, target string) (string, error) {
	id, err := d.consoles.add(target)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(base, "/") + ConsolePrefix + id, nil
}

// serveConsoleLink redirects a one-time console link to its sign-in URL.
// It needs no session: the link is the secret, and a browser that opens
// it from a command has none for this page.
func (d *Dashboard) serveConsoleLink(w http.ResponseWriter, r *http.Request, id string) {
	if r.Method != http.MethodGet {
		d.refuse(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "method "+short(r.Method), "Open the link in a browser.")
		return
	}
	target, ok := d.consoles.take(id)
	if !ok {
		d.refuse(w, r, http.StatusGone, "link_used", "unknown, used or expired console link",
			"This console link has been used or has expired: open the console again from hopd's tray menu, or run `hopd console ACCOUNT`.")
		return
	}
	d.log.Info("console link opened")
	// 303 and no-referrer (set for every answer): the console must not
	// learn this address, and the browser must not cache the way there.
	http.Redirect(w, r, target, http.StatusSeeOther)
}
