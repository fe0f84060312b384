package autostart

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hopd/hopd/internal/testenv"
)

// The LaunchAgent is a well-formed property list with the keys launchd
// needs: it starts hopd at login, again only after a crash, and logs to the
// state directory.
func TestLaunchAgentPlist(t *testing.T) {
	exe := fakeHopd(t, filepath.Join(t.TempDir(), "Apps & <Tools>"), "#!/bin/sh\n")
	tm := newTestManager(t, "darwin", exe)
	state := filepath.Join(tm.home, "Library", "Application Support", "hopd", "state")
	args := []string{"--config", "/Users/m/a&b<c>.toml"}
	tm.fail["launchctl print"] = errors.New("not loaded")
	st, err := tm.Enable(context.Background(), Options{Args: args, StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(tm.home, "Library", "LaunchAgents", "com.github.hopd.plist")
	if !st.Enabled || st.Method != LaunchAgent || st.Path != path || !st.Current {
		t.Errorf("after Enable, Status = %+v; want the enabled agent %s", st, path)
	}
	want := append([]string{exe, "serve", "--autostart"}, args...)
	if !slices.Equal(st.Command, want) {
		t.Errorf("the agent reads back as %q; want %q", st.Command, want)
	}

	pl, err := parsePlist([]byte(readFile(t, path)))
	if err != nil {
		t.Fatalf("the plist does not parse: %v\n%s", err, readFile(t, path))
	}
	checkAgent(t, pl, want, state)

	// A second, independent parser: Python's plistlib, which is what
	// `plutil` agrees with on a Mac.
	py, err := exec.LookPath("python3")
	if err != nil {
		testenv.Missing(t, "python3 (for plistlib)", err)
	}
	out, err := exec.Command(py, "-c", `import json, plistlib, sys
with open(sys.argv[1], "rb") as f:
    print(json.dumps(plistlib.load(f, fmt=plistlib.FMT_XML)))`, path).CombinedOutput()
	if err != nil {
		t.Fatalf("plistlib refuses the plist: %v\n%s", err, out)
	}
	for _, s := range []string{`"RunAtLoad": true`, `"KeepAlive": {"SuccessfulExit": false}`, `"Label": "com.github.hopd"`, "Apps & <Tools>/hopd"} {
		if !strings.Contains(string(out), s) {
			t.Errorf("plistlib reads %s; want it to contain %s", out, s)
		}
	}

	// Enabled from a running session it is loaded into the GUI domain.
	wantCmds := []string{"launchctl print gui/501/com.github.hopd", "launchctl bootstrap gui/501 " + path}
	if !slices.Equal(tm.commands, wantCmds) {
		t.Errorf("Enable ran %q; want %q", tm.commands, wantCmds)
	}
}

func checkAgent(t *testing.T, pl map[string]any, cmd []string, state string) {
	t.Helper()
	if pl["Label"] != "com.github.hopd" {
		t.Errorf("Label = %v", pl["Label"])
	}
	var got []string
	for _, a := range pl["ProgramArguments"].([]any) {
		got = append(got, a.(string))
	}
	if !slices.Equal(got, cmd) {
		t.Errorf("ProgramArguments = %q; want %q", got, cmd)
	}
	if pl["RunAtLoad"] != true {
		t.Errorf("RunAtLoad = %v; want true", pl["RunAtLoad"])
	}
	ka, ok := pl["KeepAlive"].(map[string]any)
	if !ok || ka["SuccessfulExit"] != false || len(ka) != 1 {
		t.Errorf("KeepAlive = %v; want exactly {SuccessfulExit: false}: restart after a crash only", pl["KeepAlive"])
	}
	for _, k := range []string{"StandardOutPath", "StandardErrorPath"} {
		if p, _ := pl[k].(string); filepath.Dir(p) != state {
			t.Errorf("%s = %q; want a file in the state directory %s", k, p, state)
		}
	}
}

// An agent that launchd has loaded already is not loaded twice; a failed
// bootstrap is a note, not an error: the agent starts hopd at next login.
func TestLaunchAgentLoadedAlready(t *testing.T) {
	exe := fakeHopd(t, t.TempDir(), "#!/bin/sh\n")
	tm := newTestManager(t, "darwin", exe)
	state := filepath.Join(tm.root, "state")
	if _, err := tm.Enable(context.Background(), Options{StateDir: state}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tm.commands, []string{"launchctl print gui/501/com.github.hopd"}) {
		t.Errorf("with the agent loaded, Enable ran %q; want only the print", tm.commands)
	}

	tm.commands = nil
	tm.fail["launchctl"] = errors.New("exit status 5: Bootstrap failed: 5: Input/output error")
	st, err := tm.Enable(context.Background(), Options{StateDir: state})
	if err != nil || !strings.Contains(st.Note, "next login") {
		t.Errorf("Enable with launchctl failing = %+v, %v; want success with a note about the next login", st, err)
	}
	// Disable removes the file only: bootout would stop the running hopd.
	tm.commands = nil
	if _, err := tm.Disable(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(tm.commands) > 0 {
		t.Errorf("Disable ran %q; want no launchctl", tm.commands)
	}
	if _, err := os.Stat(tm.plistPath()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Disable left the plist: %v", err)
	}
}

func TestParsePlistRefusesBrokenFiles(t *testing.T) {
	for name, s := range map[string]string{
		"truncated":     `<plist version="1.0"><dict><key>Label</key><string>x</string>`,
		"not a plist":   `<html></html>`,
		"key, no value": `<plist><dict><key>Label</key></dict></plist>`,
		"duplicate key": `<plist><dict><key>A</key><true/><key>A</key><false/></dict></plist>`,
		"root array":    `<plist><array/></plist>`,
	} {
		if _, err := parsePlist([]byte(s)); err == nil {
			t.Errorf("parsePlist accepted a %s plist", name)
		}
	}
}
