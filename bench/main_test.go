package bench

import (
	"os"
	"testing"

	"github.com/hopd/hopd/bench/load"
	"github.com/hopd/hopd/internal/testenv"
)

func TestMain(m *testing.M) {
	// BenchmarkServing runs this binary again as the floor server.
	load.ServeFloorIfAsked()
	// BenchmarkNaive runs this binary again as a script without hopd would
	// run: a process that does its own AssumeRole.
	if os.Getenv(naiveEnv) != "" {
		os.Exit(naiveMain())
	}
	testenv.Main(m)
}
