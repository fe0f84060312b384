package logfile

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestRotatesBySizeAndKeepsN(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hopd.log")
	w, err := Open(path, 100, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	line := strings.Repeat("x", 39) + "\n" // 40 bytes: two fit in 100, three do not
	var all []string
	for i := range 10 {
		l := fmt.Sprintf("%d%s", i, line[1:])
		all = append(all, l)
		if _, err := w.Write([]byte(l)); err != nil {
			t.Fatal(err)
		}
	}
	// 10 lines of 40 bytes, two per file: the newest file holds lines 8-9,
	// .1 holds 6-7, .2 holds 4-5, and 0-3 were dropped.
	want := map[string]string{
		path:        all[8] + all[9],
		path + ".1": all[6] + all[7],
		path + ".2": all[4] + all[5],
	}
	for p, w := range want {
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("reading %s: %v", filepath.Base(p), err)
		}
		if string(got) != w {
			t.Errorf("%s holds %q; want %q", filepath.Base(p), got, w)
		}
	}
	if _, err := os.Stat(path + ".3"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a third old file exists with keep=2 (err %v)", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("the directory holds %d files; want 3 (the log and two old ones)", len(entries))
	}
}

// A write bigger than the limit still lands, in a file of its own: a long
// line is better than a lost one.
func TestOversizedWriteIsKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hopd.log")
	w, err := Open(path, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	big := strings.Repeat("y", 50)
	for _, s := range []string{"a\n", big, "b\n"} {
		if _, err := w.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := os.ReadFile(path + ".1"); string(got) != big {
		t.Errorf("hopd.log.1 holds %q; want the big write alone", got)
	}
	if got, _ := os.ReadFile(path); string(got) != "b\n" {
		t.Errorf("hopd.log holds %q; want %q", got, "b\n")
	}
}

// A restarted daemon appends to the existing log and counts its size, so
// the limit holds across restarts.
func TestReopenAppendsAndCountsExistingSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hopd.log")
	if err := os.WriteFile(path, []byte(strings.Repeat("z", 90)), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := Open(path, 100, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("0123456789abc\n")); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if got, _ := os.ReadFile(path); string(got) != "0123456789abc\n" {
		t.Errorf("after a write that does not fit, hopd.log holds %q; want only the new line", got)
	}
	if got, _ := os.ReadFile(path + ".1"); len(got) != 90 {
		t.Errorf("hopd.log.1 holds %d bytes; want the 90 that were there", len(got))
	}
}

func TestModeIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hopd.log")
	w, err := Open(path, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && os.PathSeparator == '/' {
		t.Errorf("the log file has mode %04o; want it private to the user", perm)
	}
}

func TestWriteAfterCloseFails(t *testing.T) {
	w, err := Open(filepath.Join(t.TempDir(), "hopd.log"), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := w.Write([]byte("late\n")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Close returned %v; want os.ErrClosed", err)
	}
}

func TestOpenFailsWithActionableError(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "missing", "hopd.log"), 0, 0)
	if err == nil || !strings.Contains(err.Error(), "state directory") {
		t.Errorf("Open in a missing directory returned %v; want an error that points at the state directory", err)
	}
}

// Concurrent slog records never interleave, and rotation under load loses
// none: every record is in exactly one file, whole.
func TestConcurrentRecordsStayWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hopd.log")
	w, err := Open(path, 4096, 50)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(w, nil))
	var wg sync.WaitGroup
	const workers, each = 8, 100
	for g := range workers {
		wg.Go(func() {
			for i := range each {
				log.Info("request", "worker", g, "n", i, "pad", strings.Repeat("p", 40))
			}
		})
	}
	wg.Wait()
	w.Close()
	var all bytes.Buffer
	files, _ := filepath.Glob(path + "*")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		all.Write(b)
	}
	seen := map[string]bool{}
	for line := range strings.Lines(all.String()) {
		if !strings.HasPrefix(line, "time=") || !strings.HasSuffix(line, strings.Repeat("p", 40)+"\n") {
			t.Fatalf("a torn or interleaved record: %q", line)
		}
		i := strings.Index(line, "worker=")
		seen[line[i:]] = true
	}
	if len(seen) != workers*each {
		t.Errorf("the log files hold %d distinct records; want %d", len(seen), workers*each)
	}
}

type failing struct{}

func (failing) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestTeeGoesOnWhenOneFails(t *testing.T) {
	var b bytes.Buffer
	if n, err := Tee(failing{}, &b).Write([]byte("line\n")); err != nil || n != 5 || b.String() != "line\n" {
		t.Errorf("Tee(failing, buffer) wrote %d, %v, %q; want the line in the buffer and no error", n, err, b.String())
	}
	if _, err := Tee(failing{}, failing{}).Write([]byte("x")); err == nil {
		t.Error("Tee of two failing writers reported no error")
	}
}
