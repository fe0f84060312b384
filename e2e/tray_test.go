package e2e_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hopd/hopd/internal/testenv"
)

const (
	watcherName  = "org.kde.StatusNotifierWatcher"
	watcherPath  = "/StatusNotifierWatcher"
	itemIface    = "org.kde.StatusNotifierItem"
	menuIface    = "com.canonical.dbusmenu"
	propsGetCall = "org.freedesktop.DBus.Properties.Get"
)

// watcher is a minimal StatusNotifierWatcher, the part of a tray host that
// tray icons register with.
type watcher struct {
	mu    sync.Mutex
	items []trayItem
}

// trayItem is a registered StatusNotifierItem: its bus name and path.
type trayItem struct {
	sender string
	path   dbus.ObjectPath
}

// RegisterStatusNotifierItem is called by tray icons; service is an object
// path (fyne.io/systray) or a bus name (other libraries).
func (w *watcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	it := trayItem{sender: string(sender), path: "/StatusNotifierItem"}
	if strings.HasPrefix(service, "/") {
		it.path = dbus.ObjectPath(service)
	} else {
		it.sender = service
	}
	w.mu.Lock()
	w.items = append(w.items, it)
	w.mu.Unlock()
	return nil
}

func (w *watcher) RegisterStatusNotifierHost(string) *dbus.Error { return nil }

// item returns the item registered by the process pid.
func (w *watcher) item(conn *dbus.Conn, pid int) (trayItem, bool) {
	w.mu.Lock()
	items := slices.Clone(w.items)
	w.mu.Unlock()
	for _, it := range items {
		var p uint32
		if conn.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, it.sender).Store(&p) == nil && int(p) == pid {
			return it, true
		}
	}
	return trayItem{}, false
}

// ownWatcher connects to the bus at addr and becomes its tray host's watcher.
func ownWatcher(t *testing.T, addr string) (*dbus.Conn, *watcher) {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connecting to the private session bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	w := &watcher{}
	if err := conn.Export(w, watcherPath, watcherName); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName(watcherName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("cannot own %s on the private bus (reply %v): %v", watcherName, reply, err)
	}
	return conn, w
}

// menuNode is a dbusmenu layout node.
type menuNode struct {
	id       int32
	props    map[string]dbus.Variant
	children []menuNode
}

func (n menuNode) label() string {
	s, _ := n.props["label"].Value().(string)
	return s
}

func (n menuNode) find(label string) (menuNode, bool) {
	for _, c := range n.children {
		if c.label() == label {
			return c, true
		}
		if f, ok := c.find(label); ok {
			return f, true
		}
	}
	return menuNode{}, false
}

func (n menuNode) labels() []string {
	var ls []string
	for _, c := range n.children {
		if l := c.label(); l != "" {
			ls = append(ls, l)
		}
	}
	return ls
}

// layout is GetLayout's item as godbus decodes it: (ia{sv}av).
type layout struct {
	ID       int32
	Props    map[string]dbus.Variant
	Children []dbus.Variant
}

func toNode(l layout) (menuNode, error) {
	n := menuNode{id: l.ID, props: l.Props}
	for _, v := range l.Children {
		var cl layout
		if err := dbus.Store([]any{v.Value()}, &cl); err != nil {
			return menuNode{}, err
		}
		c, err := toNode(cl)
		if err != nil {
			return menuNode{}, err
		}
		n.children = append(n.children, c)
	}
	return n, nil
}

// getMenu reads the whole menu of a tray item with GetLayout.
func getMenu(conn *dbus.Conn, it trayItem) (menuNode, error) {
	var menuPath dbus.Variant
	if err := conn.Object(it.sender, it.path).Call(propsGetCall, 0, itemIface, "Menu").Store(&menuPath); err != nil {
		return menuNode{}, fmt.Errorf("reading the item's Menu property: %w", err)
	}
	path, _ := menuPath.Value().(dbus.ObjectPath)
	var rev uint32
	var l layout
	if err := conn.Object(it.sender, path).Call(menuIface+".GetLayout", 0, int32(0), int32(-1), []string{}).Store(&rev, &l); err != nil {
		return menuNode{}, fmt.Errorf("GetLayout on %s: %w", path, err)
	}
	return toNode(l)
}

func click(conn *dbus.Conn, it trayItem, id int32) error {
	var menuPath dbus.Variant
	if err := conn.Object(it.sender, it.path).Call(propsGetCall, 0, itemIface, "Menu").Store(&menuPath); err != nil {
		return err
	}
	path, _ := menuPath.Value().(dbus.ObjectPath)
	return conn.Object(it.sender, path).Call(menuIface+".Event", 0, id, "clicked", dbus.MakeVariant(""), uint32(time.Now().Unix())).Err
}

// TestTrayMenu runs the daemon with its tray on a private session bus on
// which the test is the tray host: the icon registers once a host appears,
// its menu read over D-Bus lists the accounts, a click opens the console of
// the right account, and config edits reach the menu without a restart.
func TestTrayMenu(t *testing.T) {
	two := threeAccounts[:2]
	d := newDaemon(t, options{accounts: two, serveArgs: []string{"--no-tray=false"}})
	f := startFederation(t, d.moto)
	o := newOpener(t)
	browsers := map[string]opener{"production": o, "staging": o, "data_lake": o}
	d.WriteConfig(d.consoleConfig(f, two, browsers, false))
	d.setKeys(iamKeyID, iamSecret)
	d.start()

	// Nothing owns the watcher yet: hopd says so, once, and serves.
	eventually(t, 10*time.Second, func() string {
		if !strings.Contains(d.Log(), "running without a tray") {
			return "hopd did not log that it runs without a tray"
		}
		return ""
	})
	d.waitECS("production")

	var addr string
	for _, kv := range d.keyEnv {
		if v, ok := strings.CutPrefix(kv, "DBUS_SESSION_BUS_ADDRESS="); ok {
			addr = v
		}
	}
	conn, w := ownWatcher(t, addr)
	var it trayItem
	eventually(t, 10*time.Second, func() string {
		var ok bool
		if it, ok = w.item(conn, d.PID()); !ok {
			return "hopd's tray icon did not register with the watcher that appeared"
		}
		return ""
	})

	var pix []struct {
		W, H int32
		Pix  []byte
	}
	// systray registers the item before hopd's first SetIcon lands (hosts
	// learn of it through NewIcon), so an empty pixmap may come first.
	eventually(t, 10*time.Second, func() string {
		err := conn.Object(it.sender, it.path).Call(propsGetCall, 0, itemIface, "IconPixmap").Store(&pix)
		if err != nil || len(pix) == 0 || pix[0].W == 0 || len(pix[0].Pix) != int(4*pix[0].W*pix[0].H) {
			return fmt.Sprintf("the tray item's IconPixmap is %d pixmaps (%v); want an ARGB icon", len(pix), err)
		}
		return ""
	})

	// systray answers the first GetLayout one level deep; the next ones
	// carry the submenus.
	var menu menuNode
	wantMenu := func(cond func(menuNode) string) {
		t.Helper()
		eventually(t, 15*time.Second, func() string {
			var err error
			if menu, err = getMenu(conn, it); err != nil {
				return err.Error()
			}
			return cond(menu)
		})
	}
	hasAccounts := func(names ...string) func(menuNode) string {
		return func(m menuNode) string {
			for _, n := range names {
				acct, ok := m.find(n)
				if !ok {
					return fmt.Sprintf("the menu %v has no item %q", m.labels(), n)
				}
				if _, ok := acct.find("Open console"); !ok {
					return fmt.Sprintf("%s's submenu %v has no Open console", n, acct.labels())
				}
			}
			return ""
		}
	}
	wantMenu(hasAccounts("production", "staging"))
	if status := menu.children[0].label(); status != "No session yet" && !strings.HasPrefix(status, "Session valid until ") {
		t.Errorf("the menu starts with %q; want the status line", status)
	}
	for _, label := range []string{"Open dashboard", "Reload config", "Quit hopd"} {
		if _, ok := menu.find(label); !ok {
			t.Errorf("the menu %v has no %q", menu.labels(), label)
		}
	}
	if prod, _ := menu.find("production"); len(prod.props["icon-data"].Value().([]byte)) == 0 {
		t.Error("the production item has no colour dot (icon-data)")
	}

	staging, _ := menu.find("staging")
	open, _ := staging.find("Open console")
	if err := click(conn, it, open.id); err != nil {
		t.Fatalf("clicking staging's Open console: %v", err)
	}
	var opened []string
	eventually(t, 20*time.Second, func() string {
		if opened = o.urls(); len(opened) == 0 {
			return "no browser was opened after the click"
		}
		return ""
	})
	noSigninToken(t, f, o.seen())
	f.checkLogin(t, parseLogin(t, follow(t, opened[0])), "us-east-1", d.assumedRoleARN(two[1]))

	// "Open console at" lands on a service's console. The first sign-in
	// rebuilt the menu (it now says until when the session lasts), so its
	// items have new ids: read it again.
	eventually(t, 10*time.Second, func() string {
		m, err := getMenu(conn, it)
		if err != nil {
			return err.Error()
		}
		menu = m // later clicks need the new ids too
		if staging, _ = m.find("staging"); len(staging.children) == 0 || !strings.HasPrefix(staging.children[0].label(), "Console open until") {
			return "staging's submenu does not say until when its console session lasts: " + strings.Join(staging.labels(), ", ")
		}
		return ""
	})
	at, _ := staging.find("Open console at")
	s3, ok := at.find("s3")
	if !ok {
		t.Fatalf("staging's Open console at has no s3: %v", at.labels())
	}
	if err := click(conn, it, s3.id); err != nil {
		t.Fatalf("clicking staging's Open console at > s3: %v", err)
	}
	opened = waitOpened(t, o, 2)
	f.checkLoginTo(t, parseLogin(t, follow(t, opened[1])), "https://us-east-1.console.aws.amazon.com/s3/home?region=us-east-1")

	// "Start at login" writes the XDG autostart entry in the daemon's HOME.
	start, ok := menu.find("Start at login")
	if !ok || start.props["toggle-type"].Value() != "checkmark" {
		t.Fatalf("the menu %v has no Start at login checkbox (%v)", menu.labels(), start.props)
	}
	if err := click(conn, it, start.id); err != nil {
		t.Fatalf("clicking Start at login: %v", err)
	}
	entry := filepath.Join(d.Home, ".config", "autostart", "hopd.desktop")
	wantMenu(func(m menuNode) string {
		if _, err := os.Stat(entry); err != nil {
			return "Start at login wrote no autostart entry: " + err.Error()
		}
		if s, _ := m.find("Start at login"); s.props["toggle-state"].Value() != int32(1) {
			return fmt.Sprintf("Start at login is not ticked after the click (toggle-state %v)", s.props["toggle-state"])
		}
		return ""
	})
	if data, _ := os.ReadFile(entry); !strings.Contains(string(data), "--state-dir "+d.State) {
		t.Errorf("the autostart entry does not start this daemon's state directory %s:\n%s", d.State, data)
	}

	// dbusmenu drops a single "_" (it marks an access key): a label shows
	// one only when written twice.
	lake := account{Name: "data_lake", ID: "555555555555"}
	d.WriteConfig(d.consoleConfig(f, append(slices.Clone(two), lake), browsers, false))
	wantMenu(hasAccounts("production", "staging", "data__lake"))

	d.WriteConfig("[[account]\n")
	wantMenu(func(m menuNode) string {
		if len(m.children) == 0 {
			return "the menu is empty"
		}
		if s := m.children[0].label(); !strings.HasPrefix(s, "Config error: ") {
			return fmt.Sprintf("after a broken edit the status line is %q; want Config error: ...", s)
		}
		return hasAccounts("production", "staging", "data__lake")(m)
	})
	if n := strings.Count(d.Log(), "running without a tray"); n != 1 {
		t.Errorf("hopd logged %d times that it runs without a tray; want once", n)
	}
}

// TestTrayHeadless: without a session bus hopd says once that it runs
// without a tray, and serves.
func TestTrayHeadless(t *testing.T) {
	t.Parallel()
	bin := testenv.BuildHopd(t)
	dir := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("listen = %q\n[user]\nname = \"headless\"\n", listen)), 0o600); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	// A bus address that leads nowhere: with none at all, the D-Bus library
	// would run dbus-launch, which leaves a session bus behind.
	env := append(testenv.BaseEnv(), "HOME="+dir, "HOPD_CONFIG="+cfg, "HOPD_STATE_DIR="+state,
		"XDG_RUNTIME_DIR="+dir, "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(dir, "no-bus"))
	logPath := filepath.Join(dir, "hopd.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, "serve")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("hopd exited with %v after SIGTERM; want a clean exit", err)
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("hopd did not exit within 10s of SIGTERM")
		}
	})
	readLog := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	eventually(t, 15*time.Second, func() string {
		if !strings.Contains(readLog(), "hopd is serving") {
			return "hopd is not serving; its log:\n" + readLog()
		}
		return ""
	})
	r := runCmd(t, env, "", bin, "status")
	if r.code != 0 {
		t.Errorf("hopd status against a headless daemon: exit %d: %s", r.code, r.stderr)
	}
	log := readLog()
	if n := strings.Count(log, "running without a tray"); n != 1 || !strings.Contains(log, "D-Bus session bus") {
		t.Errorf("hopd logged %d times that it runs without a tray, for this reason: %q; want once, naming the missing session bus:\n%s", n, log, log)
	}
}
