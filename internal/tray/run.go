package tray

import (
	"context"
	"errors"
	"log"
	"log/slog"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"time"

	"fyne.io/systray"

	"github.com/hopd/hopd/assets"
	"github.com/hopd/hopd/internal/tray/icon"
)

// Options connect the tray to the daemon.
type Options struct {
	// State returns a fresh snapshot; it is called on every change.
	State func() State
	// Changed receives a value whenever State may have changed (credentials
	// fetched, MFA needed, config reloaded or refused).
	Changed <-chan struct{}
	// Do carries out a click. Its error is shown in the status line until
	// an action succeeds, so it must read as a sentence and hold no secret.
	Do     func(ctx context.Context, a Action) error
	Logger *slog.Logger
}

// actionTimeout bounds a click's work: signing in waits on STS and AWS
// sign-in, and a dialog on the person.
const actionTimeout = 5 * time.Minute

// ErrCanceled is returned by an action the person called off (closed a
// dialog); it is not shown as an error.
var ErrCanceled = errors.New("canceled")

// Run shows the tray icon and menu until ctx is done. fyne.io/systray keeps
// one tray per process and its event loop must own the main thread on
// macOS, so Run must be called once, from the main goroutine.
func Run(ctx context.Context, opts Options) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	// systray reports through the standard logger, for example that no tray
	// host is there yet, which hopd has already said in its own words.
	log.SetFlags(0)
	log.SetOutput(slog.NewLogLogger(opts.Logger.Handler(), slog.LevelDebug).Writer())

	r := &renderer{opts: opts, dots: map[string][]byte{}, poke: make(chan struct{}, 1)}
	systray.Run(func() { r.ready(ctx) }, nil)
}

// renderer turns Menus into systray calls. Only its loop goroutine (and
// onReady before it) touch systray's menu, so no two rebuilds interleave.
type renderer struct {
	opts Options
	ctx  context.Context // Run's: actions stop when the daemon does
	poke chan struct{}

	icon      Icon
	iconShown bool
	menu      *Menu
	nodes     []*node

	dots map[string][]byte // colour -> encoded dot, drawn once

	mu      sync.Mutex // guards the nodes' items (read by click goroutines) and lastErr
	lastErr string
}

// node is a rendered Item.
type node struct {
	mi       *systray.MenuItem // nil for a separator
	item     Item
	children []*node
}

func (r *renderer) ready(ctx context.Context) {
	r.ctx = ctx
	if runtime.GOOS != "darwin" {
		// On Linux the title names the item to the tray host; on macOS it
		// would be shown as text next to the icon.
		systray.SetTitle("hopd")
	}
	// The first menu is built before onReady returns: systray answers the
	// tray host's first GetLayout only then.
	r.render(Build(r.state()))
	go r.loop(ctx)
}

func (r *renderer) loop(ctx context.Context) {
	// The status line says "valid until HH:MM"; a tick catches the session
	// running out, which no event announces.
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	// systray on Linux runs onReady while it exports the item: an icon set
	// between its reading the icon for the export and its publishing the
	// properties is dropped, and the tray shows none (seen under load).
	// Setting it again a little later, twice, closes that window.
	resend, again := time.NewTimer(time.Second), 2
	defer resend.Stop()
	for {
		select {
		case <-ctx.Done():
			systray.Quit()
			return
		case <-r.opts.Changed:
		case <-r.poke:
		case <-tick.C:
		case <-resend.C:
			setTrayIcon(r.icon)
			if again--; again > 0 {
				resend.Reset(4 * time.Second)
			}
			continue
		}
		r.render(Build(r.state()))
	}
}

func (r *renderer) state() State {
	s := r.opts.State()
	if s.Now.IsZero() {
		s.Now = time.Now()
	}
	r.mu.Lock()
	s.ActionError = r.lastErr
	r.mu.Unlock()
	return s
}

// render shows m: in place when only labels, tooltips, colours or actions
// changed, else by rebuilding the whole menu.
func (r *renderer) render(m Menu) {
	if !r.iconShown || m.Icon != r.icon {
		setTrayIcon(m.Icon)
		r.icon, r.iconShown = m.Icon, true
	}
	if r.menu != nil && reflect.DeepEqual(*r.menu, m) {
		return
	}
	systray.SetTooltip("hopd: " + m.Status)
	if r.menu != nil && sameShape(r.menu.Items, m.Items) {
		r.update(r.nodes, m.Items)
	} else {
		systray.ResetMenu()
		r.nodes = r.add(nil, m.Items)
	}
	r.menu = &m
}

func sameShape(a, b []Item) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Separator != b[i].Separator || a[i].Checkable != b[i].Checkable || (a[i].Children == nil) != (b[i].Children == nil) ||
			!sameShape(a[i].Children, b[i].Children) {
			return false
		}
	}
	return true
}

// add renders items under parent (nil: the top level).
func (r *renderer) add(parent *systray.MenuItem, items []Item) []*node {
	nodes := make([]*node, 0, len(items))
	for _, it := range items {
		if it.Separator {
			if parent == nil {
				systray.AddSeparator()
			} else {
				parent.AddSeparator()
			}
			nodes = append(nodes, &node{item: it})
			continue
		}
		var mi *systray.MenuItem
		switch {
		case parent == nil && it.Checkable:
			mi = systray.AddMenuItemCheckbox(label(it.Label), it.Tooltip, it.Checked)
		case parent == nil:
			mi = systray.AddMenuItem(label(it.Label), it.Tooltip)
		case it.Checkable:
			mi = parent.AddSubMenuItemCheckbox(label(it.Label), it.Tooltip, it.Checked)
		default:
			mi = parent.AddSubMenuItem(label(it.Label), it.Tooltip)
		}
		n := &node{mi: mi, item: it}
		r.style(n, Item{})
		n.children = r.add(mi, it.Children)
		nodes = append(nodes, n)
		go r.clicks(n)
	}
	return nodes
}

// update changes rendered nodes in place to show items of the same shape.
func (r *renderer) update(nodes []*node, items []Item) {
	for i, n := range nodes {
		it := items[i]
		if n.mi == nil {
			continue
		}
		old := n.item
		r.mu.Lock()
		n.item = it
		r.mu.Unlock()
		if it.Label != old.Label {
			n.mi.SetTitle(label(it.Label))
		}
		if it.Tooltip != old.Tooltip {
			n.mi.SetTooltip(it.Tooltip)
		}
		if it.Checked != old.Checked {
			if it.Checked {
				n.mi.Check()
			} else {
				n.mi.Uncheck()
			}
		}
		r.style(n, old)
		r.update(n.children, it.Children)
	}
}

// style applies what AddMenuItem cannot: the enabled state and the dot.
func (r *renderer) style(n *node, old Item) {
	if n.item.Disabled != old.Disabled {
		if n.item.Disabled {
			n.mi.Disable()
		} else {
			n.mi.Enable()
		}
	}
	if n.item.Color != "" && n.item.Color != old.Color {
		if dot := r.dot(n.item.Color); dot != nil {
			n.mi.SetIcon(dot)
		}
	}
}

// clicks runs the node's action on each click, until the item is removed
// (systray then closes the channel).
func (r *renderer) clicks(n *node) {
	for range n.mi.ClickedCh {
		r.mu.Lock()
		a := n.item.Action
		r.mu.Unlock()
		if a.Kind != None {
			go r.do(a)
		}
	}
}

func (r *renderer) do(a Action) {
	ctx, cancel := context.WithTimeout(r.ctx, actionTimeout)
	defer cancel()
	err := r.opts.Do(ctx, a)
	r.mu.Lock()
	switch {
	case errors.Is(err, ErrCanceled):
	case err != nil:
		r.lastErr = err.Error()
	default:
		r.lastErr = ""
	}
	r.mu.Unlock()
	if err != nil && !errors.Is(err, ErrCanceled) {
		r.opts.Logger.Warn("tray action failed", "action", a.Kind.String(), "account", a.Account, "err", err)
	}
	select {
	case r.poke <- struct{}{}:
	default:
	}
}

// dot is an account colour's menu icon, in the format the platform's menu
// takes, drawn once per colour.
func (r *renderer) dot(color string) []byte {
	if d, ok := r.dots[color]; ok {
		return d
	}
	c, err := icon.ParseHex(color)
	if err != nil {
		r.opts.Logger.Debug("no dot for an account colour", "err", err)
		r.dots[color] = nil
		return nil
	}
	img := icon.Dot(c, 32)
	var d []byte
	if runtime.GOOS == "windows" {
		d = icon.ICO(icon.Dot(c, 16), img)
	} else {
		d = icon.PNG(img)
	}
	r.dots[color] = d
	return d
}

// label escapes a menu label for the platform. dbusmenu (Linux and BSD)
// takes "_" to mark an access key and drops it, so credential_process or
// an account named dev_tools would lose theirs; "__" shows one.
func label(s string) string {
	switch runtime.GOOS {
	case "darwin", "windows":
		return s
	}
	return strings.ReplaceAll(s, "_", "__")
}

func setTrayIcon(i Icon) {
	name := assets.Normal
	switch i {
	case IconMFA:
		name = assets.MFA
	case IconError:
		name = assets.Error
	}
	switch runtime.GOOS {
	case "darwin":
		systray.SetTemplateIcon(assets.TrayTemplate(name), assets.TrayPNG(name))
	case "windows":
		systray.SetIcon(assets.TrayICO(name))
	default:
		systray.SetIcon(assets.TrayPNG(name))
	}
}
