package daemon

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestRecentServices(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console-recent.json")
	r := &recentServices{path: path}
	if got := r.list(); !slices.Equal(got, defaultServices) {
		t.Errorf("with no history the list is %v; want the defaults %v", got, defaultServices)
	}
	for _, s := range []string{"ddb", "sqs", "dynamodb", "nosuch"} {
		if _, err := r.use(s); err != nil {
			t.Fatal(err)
		}
	}
	got := r.list()
	if got[0] != "dynamodb" || got[1] != "sqs" || slices.Contains(got, "nosuch") || slices.Contains(got, "ddb") {
		t.Errorf("after ddb, sqs, dynamodb, nosuch the list is %v; want dynamodb, sqs first, by their names, once each", got)
	}
	if changed, _ := r.use("dynamodb"); changed {
		t.Error("opening the most recent service again changed the list")
	}

	// A restart reads the file; a broken file is an empty history.
	again := &recentServices{path: path}
	if got := again.list(); !slices.Equal(got[:2], []string{"dynamodb", "sqs"}) {
		t.Errorf("after a restart the list is %v; want dynamodb, sqs first", got)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := (&recentServices{path: path}).list(); !slices.Equal(got, defaultServices) {
		t.Errorf("with a broken file the list is %v; want the defaults", got)
	}
	for range 10 {
		_, _ = r.use("s3")
		_, _ = r.use("ec2")
	}
	if n := len(r.services); n > maxRecent {
		t.Errorf("%d recent services kept; want at most %d", n, maxRecent)
	}
}
