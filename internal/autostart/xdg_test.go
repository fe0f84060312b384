package autostart

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/testenv"
)

// A path with the characters the Exec rules make hard: a space, a dollar,
// a quote. (No percent sign: GLib looks the program up before it undoes
// %%, so a program path with % cannot be launched by GNOME at all.)
const awkwardDir = "my tools/we$ird'dir"

// Enable writes a desktop entry that desktop-file-validate accepts and
// that GLib's launcher (what GNOME's session uses) runs with exactly the
// arguments hopd asked for.
func TestDesktopEntryValidatesAndRuns(t *testing.T) {
	out := filepath.Join(t.TempDir(), "args")
	exe := fakeHopd(t, filepath.Join(t.TempDir(), awkwardDir),
		"#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > "+out+".tmp && mv "+out+".tmp "+out+"\n")
	tm := newTestManager(t, "linux", exe)
	args := []string{"--config", `/tmp/50% "conf" \ $HOME.toml`}
	st, err := tm.Enable(context.Background(), Options{Args: args})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(tm.home, ".config", "autostart", "hopd.desktop")
	if st.Path != path || st.Method != XDG || !st.Enabled || !st.Ours || !st.Current {
		t.Errorf("after Enable, Status = %+v; want enabled, ours and current at %s", st, path)
	}
	want := append([]string{exe, "serve", "--autostart"}, args...)
	if !slices.Equal(st.Command, want) {
		t.Errorf("the entry reads back as %q; want %q", st.Command, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("the entry has mode %04o; want 0644", fi.Mode().Perm())
	}

	validateDesktop(t, path)

	gio, err := exec.LookPath("gio")
	if err != nil {
		testenv.Missing(t, "gio (apt-get install libglib2.0-bin), to launch the entry as GNOME does", err)
	}
	cmd := exec.Command(gio, "launch", path)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + tm.home}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gio launch %s: %v\n%s\nthe entry:\n%s", path, err, b, readFile(t, path))
	}
	var got []byte
	if !testenv.Poll(10*time.Second, func() bool { got, err = os.ReadFile(out); return err == nil }) {
		t.Fatalf("gio launched the entry but the program never ran: %v", err)
	}
	if lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n"); !slices.Equal(lines, want[1:]) {
		t.Errorf("launched from the entry, hopd got the arguments %q; want %q", lines, want[1:])
	}
}

func validateDesktop(t *testing.T, path string) {
	t.Helper()
	v, err := exec.LookPath("desktop-file-validate")
	if err != nil {
		testenv.Missing(t, "desktop-file-validate (apt-get install desktop-file-utils)", err)
	}
	if b, err := exec.Command(v, path).CombinedOutput(); err != nil || len(b) > 0 {
		t.Errorf("desktop-file-validate %s: %v\n%s\nthe entry:\n%s", path, err, b, readFile(t, path))
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The systemd unit passes systemd-analyze verify, and is linked into
// graphical-session.target as `systemctl --user enable` would link it.
func TestSystemdUnitVerifies(t *testing.T) {
	// systemd refuses quotes in a program's path (see below), not spaces
	// or dollars.
	exe := fakeHopd(t, filepath.Join(t.TempDir(), "my tools", "we$ird"), "#!/bin/sh\n")
	tm := newTestManager(t, "linux", exe)
	args := []string{"--state-dir", "/tmp/100% $state"}
	st, err := tm.Enable(context.Background(), Options{Method: Systemd, Args: args})
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(tm.home, ".config", "systemd", "user", "hopd.service")
	if !st.Enabled || st.Method != Systemd || st.Path != unit || !st.Current {
		t.Errorf("after Enable --systemd, Status = %+v; want the enabled unit %s", st, unit)
	}
	if want := append([]string{exe, "serve", "--autostart"}, args...); !slices.Equal(st.Command, want) {
		t.Errorf("the unit reads back as %q; want %q", st.Command, want)
	}
	link := filepath.Join(tm.home, ".config", "systemd", "user", "graphical-session.target.wants", "hopd.service")
	if target, err := os.Readlink(link); err != nil || target != unit {
		t.Errorf("the wants link is %q (%v); want a link to %s", target, err, unit)
	}
	content := readFile(t, unit)
	for _, want := range []string{"WantedBy=graphical-session.target", "PartOf=graphical-session.target", "Restart=on-failure"} {
		if !strings.Contains(content, want) {
			t.Errorf("the unit lacks %q:\n%s", want, content)
		}
	}

	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		testenv.Missing(t, "systemd-analyze (apt-get install systemd)", err)
	}
	run := filepath.Join(tm.root, "run")
	if err := os.MkdirAll(run, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sa, "--user", "verify", unit)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + tm.home, "XDG_RUNTIME_DIR=" + run, "XDG_CONFIG_HOME=" + tm.configHome}
	// verify exits 0 on warnings such as unknown keys; it must say nothing.
	if b, err := cmd.CombinedOutput(); err != nil || len(b) > 0 {
		t.Errorf("systemd-analyze --user verify %s: %v\n%s\nthe unit:\n%s", unit, err, b, content)
	}
	if !slices.Contains(tm.commands, "systemctl --user daemon-reload") && tm.lookPath != nil {
		if _, err := tm.lookPath("systemctl"); err == nil {
			t.Errorf("enabling the unit did not reload systemd --user; commands: %q", tm.commands)
		}
	}
}

func TestSystemdRefusesQuotedProgramPath(t *testing.T) {
	exe := fakeHopd(t, filepath.Join(t.TempDir(), awkwardDir), "#!/bin/sh\n")
	tm := newTestManager(t, "linux", exe)
	_, err := tm.Enable(context.Background(), Options{Method: Systemd})
	if err == nil || !strings.Contains(err.Error(), "--xdg") {
		t.Errorf("Enable --systemd for %s: %v; want an error that suggests XDG autostart", exe, err)
	}
	if _, err := os.Stat(tm.unitPath()); err == nil {
		t.Error("a unit systemd would refuse was written")
	}
}

// Disable removes exactly the files Enable wrote, and leaves the other
// entries in the same directories alone.
func TestDisableRemovesExactlyWhatEnableWrote(t *testing.T) {
	for _, tc := range []struct {
		goos   string
		method Method
		wrote  []string
	}{
		{"linux", XDG, []string{"home/.config/autostart/hopd.desktop"}},
		{"linux", Systemd, []string{"home/.config/systemd/user/graphical-session.target.wants/hopd.service", "home/.config/systemd/user/hopd.service"}},
		{"darwin", LaunchAgent, []string{"home/Library/LaunchAgents/com.github.hopd.plist"}},
	} {
		t.Run(string(tc.method), func(t *testing.T) {
			exe := fakeHopd(t, t.TempDir(), "#!/bin/sh\n")
			tm := newTestManager(t, tc.goos, exe)
			// Other programs' entries, where hopd writes its own.
			writeFile(t, filepath.Join(tm.home, ".config/autostart/other.desktop"), "[Desktop Entry]\nType=Application\nName=Other\nExec=other\n")
			writeFile(t, filepath.Join(tm.home, ".config/systemd/user/other.service"), "[Service]\nExecStart=/bin/true\n")
			if err := os.MkdirAll(filepath.Join(tm.home, ".config/systemd/user/graphical-session.target.wants"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(tm.home, ".config/systemd/user/other.service"), filepath.Join(tm.home, ".config/systemd/user/graphical-session.target.wants/other.service")); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(tm.home, "Library/LaunchAgents/com.example.other.plist"), "<plist/>")

			before := snapshot(t, tm.root)
			if _, err := tm.Enable(context.Background(), Options{Method: tc.method, StateDir: filepath.Join(tm.root, "state")}); err != nil {
				t.Fatal(err)
			}
			enabled := snapshot(t, tm.root)
			if got := changed(before, enabled); !slices.Equal(got, tc.wrote) {
				t.Errorf("Enable changed %q; want exactly %q", got, tc.wrote)
			}
			// Enabling again changes nothing.
			if _, err := tm.Enable(context.Background(), Options{Method: tc.method, StateDir: filepath.Join(tm.root, "state")}); err != nil {
				t.Fatal(err)
			}
			if got := changed(enabled, snapshot(t, tm.root)); len(got) > 0 {
				t.Errorf("a second Enable changed %q", got)
			}
			st, err := tm.Disable(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if st.Enabled {
				t.Errorf("after Disable, Status = %+v; want disabled", st)
			}
			if got := changed(before, snapshot(t, tm.root)); len(got) > 0 {
				t.Errorf("after Enable and Disable, %q differ from before", got)
			}
			// Disabling what is disabled is fine.
			if _, err := tm.Disable(context.Background()); err != nil {
				t.Errorf("a second Disable: %v", err)
			}
		})
	}
}

// A hopd.desktop that a person wrote is neither replaced nor removed.
func TestForeignEntryLeftAlone(t *testing.T) {
	exe := fakeHopd(t, t.TempDir(), "#!/bin/sh\n")
	tm := newTestManager(t, "linux", exe)
	path := filepath.Join(tm.home, ".config/autostart/hopd.desktop")
	mine := "[Desktop Entry]\nType=Application\nName=my hopd\nExec=/opt/hopd/hopd serve\n"
	writeFile(t, path, mine)

	st, err := tm.Status()
	if err != nil || !st.Enabled || st.Ours || st.Program() != "/opt/hopd/hopd" || !st.Missing {
		t.Errorf("Status of a hand-written entry = %+v, %v; want enabled, not ours, starting the missing /opt/hopd/hopd", st, err)
	}
	for name, f := range map[string]func() error{
		"Enable":  func() error { _, err := tm.Enable(context.Background(), Options{}); return err },
		"Disable": func() error { _, err := tm.Disable(context.Background()); return err },
		"Enable --systemd": func() error {
			_, err := tm.Enable(context.Background(), Options{Method: Systemd})
			return err
		},
	} {
		err := f()
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not written by hopd") {
			t.Errorf("%s with a hand-written %s: %v; want an error naming it as not written by hopd", name, path, err)
		}
		if got := readFile(t, path); got != mine {
			t.Errorf("%s changed the hand-written entry to:\n%s", name, got)
		}
	}
}

// A package's entry in /etc/xdg/autostart starts hopd for every user;
// disabling writes the hidden entry the XDG spec provides for opting out,
// and enabling replaces it with the user's own.
func TestSystemWideEntry(t *testing.T) {
	exe := fakeHopd(t, t.TempDir(), "#!/bin/sh\n")
	tm := newTestManager(t, "linux", exe)
	tm.lookPath = func(name string) (string, error) {
		if name == "hopd" {
			return exe, nil
		}
		return "", exec.ErrNotFound
	}
	sys := filepath.Join(tm.configDirs[0], "autostart", "hopd.desktop")
	pkg := "[Desktop Entry]\nType=Application\nName=hopd\nExec=hopd serve --autostart\n"
	writeFile(t, sys, pkg)

	st, err := tm.Status()
	if err != nil || !st.Enabled || !st.System || st.Path != sys || !st.Current || st.Missing {
		t.Fatalf("Status with a package's entry = %+v, %v; want enabled by %s, finding hopd on PATH", st, err, sys)
	}
	user := filepath.Join(tm.home, ".config/autostart/hopd.desktop")
	if st, err = tm.Disable(context.Background()); err != nil || st.Enabled {
		t.Fatalf("Disable with a package's entry = %+v, %v; want disabled", st, err)
	}
	if c := parseDesktop([]byte(readFile(t, user))); c["Hidden"] != "true" {
		t.Errorf("Disable wrote %s without Hidden=true:\n%s", user, readFile(t, user))
	}
	validateDesktop(t, user)
	if got := readFile(t, sys); got != pkg {
		t.Errorf("Disable changed the package's entry")
	}

	if st, err = tm.Enable(context.Background(), Options{}); err != nil || !st.Enabled || st.System || st.Path != user {
		t.Fatalf("Enable after disabling a package's entry = %+v, %v; want the user's own entry at %s", st, err, user)
	}
	if st, err = tm.Enable(context.Background(), Options{Method: Systemd}); err != nil || st.Method != Systemd {
		t.Fatalf("Enable --systemd = %+v, %v", st, err)
	}
	// The package's entry must not start a second hopd next to the unit.
	if c := parseDesktop([]byte(readFile(t, user))); c["Hidden"] != "true" {
		t.Errorf("with the systemd unit enabled, %s does not hide the package's entry:\n%s", user, readFile(t, user))
	}
}

// Status notices when the binary an entry starts has moved, and Enable
// from the new place repairs the entry.
func TestStatusDetectsMovedBinary(t *testing.T) {
	for _, m := range []Method{XDG, Systemd} {
		t.Run(string(m), func(t *testing.T) {
			old := fakeHopd(t, filepath.Join(t.TempDir(), "old"), "#!/bin/sh\n")
			tm := newTestManager(t, "linux", old)
			if _, err := tm.Enable(context.Background(), Options{Method: m}); err != nil {
				t.Fatal(err)
			}
			moved := filepath.Join(t.TempDir(), "hopd")
			if err := os.Rename(old, moved); err != nil {
				t.Fatal(err)
			}
			tm.exe = moved
			st, err := tm.Status()
			if err != nil {
				t.Fatal(err)
			}
			if !st.Enabled || !st.Missing || st.Current || st.Program() != old {
				t.Errorf("Status after the binary moved = %+v; want enabled, missing %s", st, old)
			}
			p := st.Problem(moved)
			for _, want := range []string{old, "no longer exists", "hopd autostart enable", moved} {
				if !strings.Contains(p, want) {
					t.Errorf("Problem() = %q; want it to mention %q", p, want)
				}
			}
			// Enable without a method keeps the one in use and repairs it.
			if st, err = tm.Enable(context.Background(), Options{}); err != nil {
				t.Fatal(err)
			}
			if st.Method != m || st.Missing || !st.Current || st.Program() != moved || st.Problem(moved) != "" {
				t.Errorf("Status after Enable repaired it = %+v; want %s starting %s", st, m, moved)
			}
		})
	}
}

// Switching methods leaves one entry, so hopd is started once.
func TestSwitchingMethodsLeavesOneEntry(t *testing.T) {
	exe := fakeHopd(t, t.TempDir(), "#!/bin/sh\n")
	tm := newTestManager(t, "linux", exe)
	ctx := context.Background()
	desktop := filepath.Join(tm.home, ".config/autostart/hopd.desktop")
	unit := filepath.Join(tm.home, ".config/systemd/user/hopd.service")
	exists := func(p string) bool { _, err := os.Lstat(p); return err == nil }

	if _, err := tm.Enable(ctx, Options{Method: XDG}); err != nil {
		t.Fatal(err)
	}
	if _, err := tm.Enable(ctx, Options{Method: Systemd}); err != nil {
		t.Fatal(err)
	}
	if exists(desktop) || !exists(unit) {
		t.Errorf("after switching to systemd: desktop entry %v, unit %v; want only the unit", exists(desktop), exists(unit))
	}
	if _, err := tm.Enable(ctx, Options{Method: XDG}); err != nil {
		t.Fatal(err)
	}
	if !exists(desktop) || exists(unit) || exists(tm.wantsPath()) {
		t.Errorf("after switching to XDG: desktop entry %v, unit %v, link %v; want only the desktop entry", exists(desktop), exists(unit), exists(tm.wantsPath()))
	}
	if _, err := tm.Enable(ctx, Options{Method: LaunchAgent}); err == nil || !strings.Contains(err.Error(), "xdg or systemd") {
		t.Errorf("Enable with a LaunchAgent on Linux: %v; want an error naming the methods that exist", err)
	}
}

func TestExecQuotingRoundTrips(t *testing.T) {
	for _, args := range [][]string{
		{"/usr/bin/hopd", "serve", "--autostart"},
		{"/opt/my tools/hopd", "serve"},
		{"/opt/$$x/100%/hopd", "a$$b"},
		{"/a/b", `back\slash`, `"quoted"`, "dollar $HOME", "percent 100%", "tick`", "", "semi;colon", ";", "tab\there", "it's"},
	} {
		if got, err := parseDesktopExec(desktopExec(args)); err != nil || !slices.Equal(got, args) {
			t.Errorf("Exec=%s reads back as %q (%v); want %q", desktopExec(args), got, err, args)
		}
		if got, err := parseUnitExec(unitExec(args)); err != nil || !slices.Equal(got, args) {
			t.Errorf("ExecStart=%s reads back as %q (%v); want %q", unitExec(args), got, err, args)
		}
	}
	if _, err := parseDesktopExec(`"/unterminated serve`); err == nil {
		t.Error("an unterminated quote in Exec was accepted")
	}
	if got, _ := parseDesktopExec("hopd serve %U"); !slices.Equal(got, []string{"hopd", "serve"}) {
		t.Errorf("field codes were not dropped: %q", got)
	}
}

func FuzzExecQuoting(f *testing.F) {
	f.Add("/opt/x y/hopd", `a"b\c$d%e`)
	f.Fuzz(func(t *testing.T, prog, arg string) {
		if strings.ContainsAny(prog+arg, "\x00\r\n") {
			return
		}
		args := []string{prog, "serve", arg}
		if got, err := parseDesktopExec(desktopExec(args)); err != nil || !slices.Equal(got, args) {
			t.Errorf("desktop Exec %q -> %q, %v", args, got, err)
		}
		if got, err := parseUnitExec(unitExec(args)); err != nil || !slices.Equal(got, args) {
			t.Errorf("unit ExecStart %q -> %q, %v", args, got, err)
		}
	})
}
