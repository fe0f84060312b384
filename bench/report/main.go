// Command report turns the output of hopd's benchmarks (go test -bench in
// bench/) into a table of medians, checks them against the targets, and
// writes them as JSON for bench/plot and for comparing runs.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

const usage = `Usage: report [-json FILE] BENCH-OUTPUT...

Reads the output of go test -bench for hopd's benchmarks (bench/), takes
the median of every figure over the runs of each benchmark (go test
-count N), prints them as tables next to the targets of issues 7 and 15,
and with -json writes them to FILE for bench/plot. scripts/bench.sh
(make bench) runs it; a file "-" is standard input.

Flags:
`

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "report: "+err.Error())
		os.Exit(2)
	}
}

func run() error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	jsonOut := fs.String("json", "", "write the medians and target checks as JSON to this file")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		return errors.New("bad flags: see report -h")
	}
	if fs.NArg() == 0 {
		return errors.New("give the benchmark output files (or - for standard input): see report -h")
	}
	res := &Results{Generated: time.Now().UTC().Truncate(time.Second)}
	for _, name := range fs.Args() {
		if err := res.read(name); err != nil {
			return err
		}
	}
	if len(res.runs) == 0 {
		return errors.New("no benchmark results in the input: did the benchmarks run? (lines start with Benchmark)")
	}
	res.summarise()
	res.print(os.Stdout)
	if *jsonOut != "" {
		data, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := writeAtomic(*jsonOut, append(data, '\n')); err != nil {
			return fmt.Errorf("writing -json: %w", err)
		}
	}
	return nil
}

// Results is what a bench run found, as written with -json.
type Results struct {
	Generated  time.Time   `json:"generated"`
	Machine    Machine     `json:"machine"`
	Benchmarks []Benchmark `json:"benchmarks"`
	Serving    []Serving   `json:"serving"`
	Startup    *Startup    `json:"startup,omitempty"`
	Targets    []Target    `json:"targets"`

	runs       map[string][]map[string]float64 // benchmark -> runs -> unit -> value
	iterations map[string]int                  // benchmark -> b.N of its last run
	order      []string
}

// Machine is what go test says about where it ran.
type Machine struct {
	GOOS   string `json:"goos"`
	GOARCH string `json:"goarch"`
	CPU    string `json:"cpu"`
	Procs  int    `json:"procs"` // GOMAXPROCS of the benchmarks
}

// Benchmark is one benchmark's medians.
type Benchmark struct {
	Name    string             `json:"name"`
	Runs    int                `json:"runs"`
	Medians map[string]float64 `json:"medians"` // unit -> median over the runs
}

// Serving is one row of the cached-serving table.
type Serving struct {
	Mode    string  `json:"mode"` // closed or paced
	Clients int     `json:"clients"`
	Target  string  `json:"target"` // floor, ecs or imds
	RPS     float64 `json:"rps"`
	Ratio   float64 `json:"ratio_to_floor"`
	P50us   float64 `json:"p50_us"`
	P99us   float64 `json:"p99_us"`
	P999us  float64 `json:"p999_us"`
	Errors  float64 `json:"errors"`
	CPUus   float64 `json:"server_cpu_us_per_request,omitempty"`
	// RSSMiB is the server's resident memory at the end of a closed row,
	// its clients' connections still open.
	RSSMiB float64 `json:"server_rss_mib,omitempty"`
	Runs   int     `json:"runs"`
}

// Startup is the start-up row: whole processes, start to exit, side by
// side in one run (BenchmarkStartup), medians in milliseconds.
type Startup struct {
	HelloMs    float64 `json:"hello_world_ms"`
	SDKMs      float64 `json:"hello_world_with_sdk_ms"`
	VersionMs  float64 `json:"hopd_version_ms"`
	CredsMs    float64 `json:"hopd_creds_ms"`
	Ratio      float64 `json:"creds_to_hello_world"`
	SDKRatio   float64 `json:"sdk_to_hello_world"`
	InitMs     float64 `json:"init_ms"`
	InitAllocs float64 `json:"init_allocs"`
	Processes  int     `json:"processes_each"`
	Runs       int     `json:"runs"`
}

// Target is one of the targets of issues 7 and 15 and whether this run met it.
type Target struct {
	What string `json:"what"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
}

// A result line: name, GOMAXPROCS suffix, iterations, value-unit pairs.
var (
	benchLine   = regexp.MustCompile(`^(Benchmark\S+?)(?:-(\d+))?\s+(\d+)\s+(.+)$`)
	roundSuffix = regexp.MustCompile(`#\d+$`)
)

func (r *Results) read(name string) error {
	var in io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	if r.runs == nil {
		r.runs = map[string][]map[string]float64{}
		r.iterations = map[string]int{}
	}
	s := bufio.NewScanner(in)
	for s.Scan() {
		line := s.Text()
		for _, kv := range []struct {
			key string
			dst *string
		}{{"goos: ", &r.Machine.GOOS}, {"goarch: ", &r.Machine.GOARCH}, {"cpu: ", &r.Machine.CPU}} {
			if v, ok := strings.CutPrefix(line, kv.key); ok {
				*kv.dst = strings.TrimSpace(v)
			}
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if m[2] != "" {
			r.Machine.Procs, _ = strconv.Atoi(m[2])
		}
		f := strings.Fields(m[4])
		metrics := map[string]float64{}
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return fmt.Errorf("%s: cannot read %q in %q", name, f[i], line)
			}
			metrics[f[i+1]] = v
		}
		// Repeated sub-benchmarks (rounds) are named NAME#01, NAME#02, ...
		name := roundSuffix.ReplaceAllString(m[1], "")
		if _, seen := r.runs[name]; !seen {
			r.order = append(r.order, name)
		}
		r.runs[name] = append(r.runs[name], metrics)
		r.iterations[name], _ = strconv.Atoi(m[3])
	}
	return s.Err()
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// summarise computes the medians, the serving rows and the targets.
func (r *Results) summarise() {
	for _, name := range r.order {
		runs := r.runs[name]
		med := map[string]float64{}
		for _, run := range runs {
			for unit := range run {
				if _, done := med[unit]; done {
					continue
				}
				var vs []float64
				for _, o := range runs {
					if v, ok := o[unit]; ok {
						vs = append(vs, v)
					}
				}
				med[unit] = median(vs)
			}
		}
		r.Benchmarks = append(r.Benchmarks, Benchmark{Name: name, Runs: len(runs), Medians: med})
	}
	for _, b := range r.Benchmarks {
		var mode, target string
		var clients int
		if n, _ := fmt.Sscanf(strings.ReplaceAll(b.Name, "/", " "), "BenchmarkServing %s clients=%d %s", &mode, &clients, &target); n != 3 {
			continue
		}
		m := b.Medians
		r.Serving = append(r.Serving, Serving{
			Mode: mode, Clients: clients, Target: target, RPS: m["req/s"],
			P50us: m["p50-us"], P99us: m["p99-us"], P999us: m["p99.9-us"], Errors: m["errors"],
			CPUus: m["server-cpu-us/req"], RSSMiB: m["server-rss-MiB"], Runs: b.Runs,
		})
	}
	for i, s := range r.Serving {
		if f := r.serving(s.Mode, s.Clients, "floor"); f != nil && f.RPS > 0 {
			r.Serving[i].Ratio = s.RPS / f.RPS
		}
	}
	if m := r.bench("BenchmarkStartup"); m != nil {
		r.Startup = &Startup{
			HelloMs: m["hello-ms"], SDKMs: m["sdk-ms"], VersionMs: m["version-ms"], CredsMs: m["creds-ms"],
			Ratio: m["creds/hello"], SDKRatio: m["sdk/hello"], InitMs: m["init-ms"], InitAllocs: m["init-allocs"],
			Processes: r.iterations["BenchmarkStartup"], Runs: r.runsOf("BenchmarkStartup"),
		}
	}
	r.Targets = r.targets()
}

func (r *Results) serving(mode string, clients int, target string) *Serving {
	for i, s := range r.Serving {
		if s.Mode == mode && s.Clients == clients && s.Target == target {
			return &r.Serving[i]
		}
	}
	return nil
}

func (r *Results) bench(name string) map[string]float64 {
	for _, b := range r.Benchmarks {
		if b.Name == name {
			return b.Medians
		}
	}
	return nil
}

func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
