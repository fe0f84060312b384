// Package bench measures hopd against a trivial net/http handler and against the tools it replaces (make bench).
//
// The measurements are Go benchmarks (go test -bench) in this package's
// test files. Each starts what it measures through internal/testenv: moto,
// a counting STS proxy, gnome-keyring on a private D-Bus, and hopd daemons
// built from this tree. scripts/bench.sh runs them several times, and
// bench/report turns the output into a table of medians, a JSON file under
// bench/results/ and the plot in docs/latency.svg (drawn by bench/plot).
// See docs/bench.md.
package bench
