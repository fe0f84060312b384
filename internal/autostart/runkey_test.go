package autostart

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// On Windows, Enable writes the Run value: the quoted program, then the
// arguments, as Windows splits command lines.
func TestRunKeyValue(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Program Files", "hopd")
	exe := fakeHopd(t, dir, "")
	tm := newTestManager(t, "windows", exe)
	st, err := tm.Enable(context.Background(), Options{Args: []string{"--config", `C:\Users\m\my "cfg"\hopd.toml`}})
	if err != nil {
		t.Fatal(err)
	}
	want := `"` + exe + `" serve --autostart --config "C:\Users\m\my \"cfg\"\hopd.toml"`
	if got := tm.reg.values["hopd"]; got != want {
		t.Errorf("the Run value is\n%s\nwant\n%s", got, want)
	}
	if !st.Enabled || st.Method != RunKey || !st.Current || st.Path != runKeyPath+`\hopd` {
		t.Errorf("after Enable, Status = %+v", st)
	}
	if len(tm.reg.values) != 1 {
		t.Errorf("Enable wrote %d values; want 1", len(tm.reg.values))
	}

	// With hopdw.exe (no console window) beside hopd, the value starts it.
	w := filepath.Join(dir, "hopdw.exe")
	if err := os.WriteFile(w, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := tm.Enable(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	if got := tm.reg.values["hopd"]; got != `"`+w+`" serve --autostart` {
		t.Errorf("with hopdw.exe present the Run value is %s; want it to start hopdw.exe", got)
	}
	if st, _ := tm.Status(); !st.Current || st.Missing {
		t.Errorf("Status with hopdw.exe = %+v; want current", st)
	}

	if _, err := tm.Disable(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(tm.reg.values) != 0 {
		t.Errorf("Disable left %v", tm.reg.values)
	}
}

func TestRunKeyLeavesForeignValue(t *testing.T) {
	tm := newTestManager(t, "windows", fakeHopd(t, t.TempDir(), ""))
	tm.reg.values["hopd"] = `C:\other\hopd.exe --something`
	if _, err := tm.Enable(context.Background(), Options{}); err == nil || !strings.Contains(err.Error(), "not written by hopd") {
		t.Errorf("Enable over a foreign Run value: %v; want a refusal", err)
	}
	if _, err := tm.Disable(context.Background()); err == nil || !strings.Contains(err.Error(), "not written by hopd") {
		t.Errorf("Disable of a foreign Run value: %v; want a refusal", err)
	}
	if tm.reg.values["hopd"] != `C:\other\hopd.exe --something` {
		t.Errorf("the foreign value changed to %q", tm.reg.values["hopd"])
	}
}

func TestRunKeyMovedBinary(t *testing.T) {
	tm := newTestManager(t, "windows", fakeHopd(t, t.TempDir(), ""))
	tm.reg.values["hopd"] = `"C:\gone\hopd.exe" serve --autostart`
	st, err := tm.Status()
	if err != nil || !st.Missing || st.Program() != `C:\gone\hopd.exe` {
		t.Errorf("Status of a value naming a missing program = %+v, %v", st, err)
	}
}

func TestWindowsCommandLineRoundTrips(t *testing.T) {
	for _, args := range [][]string{
		{`C:\Program Files\hopd\hopd.exe`, "serve", "--autostart"},
		{`C:\hopd.exe`, `a b`, `"q"`, `back\`, `back\\ slash\`, `x\"y`, ``, `tab	in`},
	} {
		line := windowsCommandLine(args)
		if got := parseWindowsCommandLine(line); !slices.Equal(got, args) {
			t.Errorf("%s splits into %q; want %q", line, got, args)
		}
	}
}
