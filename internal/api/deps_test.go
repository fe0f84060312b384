package api_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The CLI's client and this package must not pull in the daemon's
// packages: a command that only talks to a running hopd would link the
// broker, the AWS SDK's STS client and the server's handlers.
func TestImportGraph(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list imports: %v", err)
	}
	const self = "github.com/hopd/hopd/internal/api"
	forbidden := []string{"github.com/hopd/hopd/internal/server", "github.com/hopd/hopd/internal/broker"}
	for _, pkg := range []string{self, "github.com/hopd/hopd/internal/client"} {
		t.Run(pkg, func(t *testing.T) {
			out, err := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}}", pkg).Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", pkg, err)
			}
			deps := strings.Fields(string(out))
			if !slices.Contains(deps, pkg) {
				t.Fatalf("go list -deps %s did not list the package itself: %q", pkg, out)
			}
			for _, f := range forbidden {
				if slices.Contains(deps, f) {
					t.Errorf("%s depends on %s; keep the wire types in internal/api", pkg, f)
				}
			}
			if pkg != self {
				return
			}
			for _, d := range deps {
				if d != self && strings.HasPrefix(d, "github.com/hopd/hopd/") {
					t.Errorf("%s imports %s; it must stay a leaf that every part of hopd can import", self, d)
				}
			}
		})
	}
}
