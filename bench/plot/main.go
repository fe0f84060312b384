// Command plot draws the latency of cached credentials by concurrency, for
// hopd (ECS, IMDS) and the trivial-handler floor, as an SVG, from the JSON
// that bench/report writes.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
)

const usage = `Usage: plot -in RESULTS.json -out FILE.svg

Draws p50 and p99 latency against the number of keep-alive clients for the
floor (a trivial net/http handler) and hopd's ECS and IMDS endpoints, from
the closed-loop rows of a results file that bench/report wrote. make bench
draws docs/latency.svg this way.

Flags:
`

// results is the part of bench/report's JSON the plot needs.
type results struct {
	Generated string `json:"generated"`
	Machine   struct {
		CPU   string `json:"cpu"`
		Procs int    `json:"procs"`
	} `json:"machine"`
	Serving []struct {
		Mode    string  `json:"mode"`
		Clients int     `json:"clients"`
		Target  string  `json:"target"`
		P50us   float64 `json:"p50_us"`
		P99us   float64 `json:"p99_us"`
		Runs    int     `json:"runs"`
	} `json:"serving"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "plot: "+err.Error())
		os.Exit(2)
	}
}

func run() error {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	in := fs.String("in", "", "the results JSON from bench/report (required)")
	out := fs.String("out", "", "the SVG file to write (required)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		return errors.New("bad flags: see plot -h")
	}
	if *in == "" || *out == "" {
		return errors.New("-in and -out are required: see plot -h")
	}
	data, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	var r results
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("%s is not bench/report's JSON: %w", *in, err)
	}
	svg, err := draw(r)
	if err != nil {
		return err
	}
	tmp := *out + ".tmp"
	if err := os.WriteFile(tmp, []byte(svg), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, *out)
}

// series is one line of the plot.
type series struct {
	label  string
	color  string
	dashed bool
	pts    [][2]float64 // clients, µs
}

// The plot area in SVG units.
const (
	width, height          = 720, 420
	left, right, top, bott = 70, 180, 40, 60
)

func draw(r results) (string, error) {
	style := map[string]struct{ label, color string }{
		"floor": {"floor (net/http)", "#7f7f7f"},
		"ecs":   {"hopd ECS", "#1f5fbf"},
		"imds":  {"hopd IMDS", "#d9822b"},
	}
	var lines []series
	runs := 0
	for _, t := range []string{"floor", "ecs", "imds"} {
		p50 := series{label: style[t].label + " p50", color: style[t].color}
		p99 := series{label: style[t].label + " p99", color: style[t].color, dashed: true}
		for _, s := range r.Serving {
			if s.Mode != "closed" || s.Target != t || s.P50us <= 0 || s.P99us <= 0 {
				continue
			}
			p50.pts = append(p50.pts, [2]float64{float64(s.Clients), s.P50us})
			p99.pts = append(p99.pts, [2]float64{float64(s.Clients), s.P99us})
			runs = s.Runs
		}
		if len(p50.pts) > 0 {
			lines = append(lines, p50, p99)
		}
	}
	if len(lines) == 0 {
		return "", errors.New("the results have no closed-loop serving rows: run BenchmarkServing")
	}
	var xs, ys []float64
	for _, l := range lines {
		slices.SortFunc(l.pts, func(a, b [2]float64) int { return int(a[0] - b[0]) })
		for _, p := range l.pts {
			xs, ys = append(xs, p[0]), append(ys, p[1])
		}
	}
	// Clients only where measured, with a margin; latency by decades.
	x0, x1 := slices.Min(xs)/1.6, slices.Max(xs)*1.6
	y0, y1 := decadeBelow(slices.Min(ys)), decadeAbove(slices.Max(ys))
	px := func(x float64) float64 {
		return left + (math.Log10(x)-math.Log10(x0))/(math.Log10(x1)-math.Log10(x0))*(width-left-right)
	}
	py := func(y float64) float64 {
		return height - bott - (math.Log10(y)-math.Log10(y0))/(math.Log10(y1)-math.Log10(y0))*(height-top-bott)
	}

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="14" font-weight="bold">Cached credentials: latency by number of keep-alive clients</text>`+"\n", left)
	// Grid and ticks: every decade, and the clients measured.
	for y := y0; y <= y1*1.0001; y *= 10 {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e5e5e5"/>`+"\n", left, width-right, py(y), py(y))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", left-6, py(y), latencyLabel(y))
	}
	for _, x := range uniq(xs) {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#e5e5e5"/>`+"\n", px(x), px(x), top, height-bott)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%g</text>`+"\n", px(x), height-bott+16, x)
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>`+"\n", left, top, width-left-right, height-top-bott)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">clients (each asks again as soon as it is answered)</text>`+"\n", left+(width-left-right)/2, height-bott+36)
	fmt.Fprintf(&b, `<text transform="translate(16 %d) rotate(-90)" text-anchor="middle">latency (log scale)</text>`+"\n", top+(height-top-bott)/2)
	for i, l := range lines {
		var pts []string
		for _, p := range l.pts {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(p[0]), py(p[1])))
		}
		dash := ""
		if l.dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", strings.Join(pts, " "), l.color, dash)
		for _, p := range l.pts {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", px(p[0]), py(p[1]), l.color)
		}
		ly := top + 10 + i*20
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`+"\n", width-right+14, width-right+40, ly, ly, l.color, dash)
		fmt.Fprintf(&b, `<text x="%d" y="%d" dominant-baseline="middle">%s</text>`+"\n", width-right+46, ly, l.label)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" fill="#555">median of %d runs, %s, %s, GOMAXPROCS %d; load generator on the same cores</text>`+"\n",
		left, height-8, runs, r.Generated, escape(r.Machine.CPU), r.Machine.Procs)
	b.WriteString("</svg>\n")
	return b.String(), nil
}

func decadeBelow(v float64) float64 { return math.Pow(10, math.Floor(math.Log10(v))) }
func decadeAbove(v float64) float64 { return math.Pow(10, math.Ceil(math.Log10(v))) }

func uniq(v []float64) []float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	return slices.Compact(v)
}

func latencyLabel(us float64) string {
	switch {
	case us >= 1e6:
		return fmt.Sprintf("%g s", us/1e6)
	case us >= 1e3:
		return fmt.Sprintf("%g ms", us/1e3)
	}
	return fmt.Sprintf("%g µs", us)
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
