package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// targets checks the targets of issues 7 and 15 against the medians.
func (r *Results) targets() []Target {
	var ts []Target
	add := func(what, want, got string, met bool) {
		ts = append(ts, Target{What: what, Want: want, Got: got, Met: met})
	}
	for _, s := range r.Serving {
		if s.Target == "floor" || s.Mode != "closed" {
			continue
		}
		add(fmt.Sprintf("%s req/s against the floor, %d clients (issue 15)", strings.ToUpper(s.Target), s.Clients),
			">= 0.95", fmt.Sprintf("%.2f", s.Ratio), s.Ratio >= 0.95)
	}
	if f := r.serving("closed", 256, "floor"); f != nil && f.RSSMiB > 0 {
		for _, t := range []string{"ecs", "imds"} {
			if s := r.serving("closed", 256, t); s != nil && s.RSSMiB > 0 {
				over := (s.RSSMiB - f.RSSMiB) * 1.048576
				add(fmt.Sprintf("RSS after the 256-client load (%s), above the floor's (issue 15)", strings.ToUpper(t)), "<= 4 MB",
					fmt.Sprintf("%.1f MB (%.1f MiB against %.1f MiB)", over, s.RSSMiB, f.RSSMiB), over <= 4)
			}
		}
	}
	for _, mode := range []string{"paced", "closed"} {
		for _, t := range []string{"ecs", "imds"} {
			if s := r.serving(mode, 256, t); s != nil {
				add(fmt.Sprintf("%s p99 at 256 clients (%s)", strings.ToUpper(t), mode), "< 2 ms", ms(s.P99us), s.P99us < 2000)
			}
		}
	}
	if m := r.bench("BenchmarkSTSCallsPerHour"); m != nil {
		add("AssumeRole calls per refresh, any number of clients", "exactly 1", fmt.Sprintf("%.2f", m["assume-role/refresh"]), m["assume-role/refresh"] == 1)
		add("AssumeRole calls per account per hour under load", fmt.Sprintf("the floor's minimum, %.0f", m["floor-minimum/account/h"]),
			fmt.Sprintf("%.2f", m["assume-role/account/h"]), m["assume-role/account/h"] <= m["floor-minimum/account/h"])
		bad := m["expired-served"] + m["under-floor-served"]
		add("credentials served expired or under the floor", "0", fmt.Sprintf("%.0f", bad), bad == 0)
	}
	if st := r.Startup; st != nil {
		add("hopd creds start-up against a Go hello-world (issue 15)", "<= 2.0x", fmt.Sprintf("%.2fx (the SDK alone %.2fx)", st.Ratio, st.SDKRatio), st.Ratio <= 2)
	}
	if m := r.bench("BenchmarkIdle"); m != nil {
		add("idle RSS, 3 accounts (issue 15)", "< 15 MB", fmt.Sprintf("%.1f MiB", m["rss-MiB-3"]), m["rss-MiB-3"]*1.048576 < 15)
		add("idle RSS, 500 accounts", "< 40 MB", fmt.Sprintf("%.1f MiB", m["rss-MiB-500"]), m["rss-MiB-500"]*1.048576 < 40)
		for _, n := range []string{"3", "500"} {
			v := m["cpu-ms/min-"+n]
			add("idle CPU per minute, "+n+" accounts", "< 50 ms", fmt.Sprintf("%.1f ms", v), v < 50)
		}
	}
	return ts
}

func ms(us float64) string {
	if us < 1000 {
		return fmt.Sprintf("%.0f µs", us)
	}
	return fmt.Sprintf("%.1f ms", us/1000)
}

func (r *Results) runsOf(prefix string) int {
	n := 0
	for _, b := range r.Benchmarks {
		if strings.HasPrefix(b.Name, prefix) && (n == 0 || b.Runs < n) {
			n = b.Runs
		}
	}
	return n
}

func (r *Results) print(w io.Writer) {
	fmt.Fprintf(w, "hopd benchmarks, %s on %s (%s/%s, GOMAXPROCS %d)\n",
		r.Generated.Format("2006-01-02 15:04 UTC"), r.Machine.CPU, r.Machine.GOOS, r.Machine.GOARCH, r.Machine.Procs)
	fmt.Fprintln(w, "Every figure is the median over the runs of its benchmark; the run counts are given per section.")
	if len(r.Serving) > 0 {
		fmt.Fprintf(w, "\nCached credentials, keep-alive clients, median of %d runs. closed: each client asks again as soon as it is\n", r.runsOf("BenchmarkServing/"))
		fmt.Fprintln(w, "answered (saturation); paced: 256 clients, 2,560 req/s in all. floor: a trivial net/http handler, same bytes, same run.")
		fmt.Fprintln(w, "server RSS: the server's resident memory at the end of a closed row, its clients' connections still open.")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "mode\tclients\ttarget\treq/s\tratio\tp50\tp99\tp99.9\terrors\tserver CPU/req\tserver RSS\t")
		for _, s := range r.Serving {
			ratio, cpu, rss := "", "", ""
			if s.Target != "floor" {
				ratio = fmt.Sprintf("%.2f", s.Ratio)
			}
			if s.CPUus > 0 {
				cpu = fmt.Sprintf("%.0f µs", s.CPUus)
			}
			if s.RSSMiB > 0 {
				rss = fmt.Sprintf("%.1f MiB", s.RSSMiB)
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%.0f\t%s\t%s\t%s\t%s\t%.0f\t%s\t%s\t\n", s.Mode, s.Clients, s.Target, s.RPS, ratio, ms(s.P50us), ms(s.P99us), ms(s.P999us), s.Errors, cpu, rss)
		}
		tw.Flush()
	}
	if h, m := r.bench("BenchmarkColdPath/hopd-first-request"), r.bench("BenchmarkColdPath/moto-assume-role"); h != nil && m != nil {
		fmt.Fprintf(w, "\nCold path, median of %d runs: the first request for an account (one AssumeRole)\n", r.runsOf("BenchmarkColdPath/"))
		fmt.Fprintf(w, "  hopd, first request     p50 %5.1f ms  p90 %5.1f ms  (%.2f AssumeRole per request, %.0f errors)\n", h["p50-ms"], h["p90-ms"], h["assume-role/op"], h["errors"])
		fmt.Fprintf(w, "  moto's own AssumeRole   p50 %5.1f ms  p90 %5.1f ms  (the Go SDK, through the same proxy)\n", m["p50-ms"], m["p90-ms"])
		fmt.Fprintf(w, "  hopd adds               p50 %5.1f ms\n", h["p50-ms"]-m["p50-ms"])
	}
	if m := r.bench("BenchmarkSTSCallsPerHour"); m != nil {
		fmt.Fprintf(w, "\nSTS calls under continuous load (3 accounts, %.0f requests at %.0f req/s over 3 simulated hours), %d run(s)\n",
			m["requests"], m["req/s"], r.runsOf("BenchmarkSTSCallsPerHour"))
		fmt.Fprintf(w, "  %.2f AssumeRole per account per hour (the 30-minute floor allows no fewer than %.0f); %.2f per refresh\n",
			m["assume-role/account/h"], m["floor-minimum/account/h"], m["assume-role/refresh"])
		fmt.Fprintf(w, "  %.0f errors, %.0f expired and %.0f under-the-floor credentials served\n", m["errors"], m["expired-served"], m["under-floor-served"])
	}
	if r.bench("BenchmarkNaive/hopd-creds") != nil {
		fmt.Fprintf(w, "\nThe naive alternative: 100 invocations, one after another, %d run(s)\n", r.runsOf("BenchmarkNaive/"))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, c := range []struct{ name, label string }{
			{"aws-cli-assume-role", "aws sts assume-role (AWS CLI)"},
			{"go-sdk-assume-role", "a Go program with the SDK's AssumeRole"},
			{"hopd-creds", "hopd creds (credential_process)"},
		} {
			if m := r.bench("BenchmarkNaive/" + c.name); m != nil {
				fmt.Fprintf(tw, "  %s\t%.0f STS calls\t%.1f s\n", c.label, 100*m["sts-calls/op"], 100*m["ns/op"]/1e9)
			}
		}
		tw.Flush()
	}
	if st := r.Startup; st != nil {
		fmt.Fprintf(w, "\nStart-up, whole processes start to exit, interleaved in one run: median of %d each, %d run(s)\n", st.Processes, st.Runs)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, row := range []struct {
			label string
			ms    float64
		}{
			{"a Go hello-world (same go, -trimpath -s -w)", st.HelloMs},
			{"the same, linking hopd's AWS SDK packages", st.SDKMs},
			{"hopd version", st.VersionMs},
			{"hopd creds ACCOUNT (credential_process)", st.CredsMs},
		} {
			ratio := ""
			if st.HelloMs > 0 {
				ratio = fmt.Sprintf("%.2fx", row.ms/st.HelloMs)
			}
			fmt.Fprintf(tw, "  %s\t%.2f ms\t%s\n", row.label, row.ms, ratio)
		}
		tw.Flush()
		fmt.Fprintf(w, "  package initialisation of every hopd process: %.1f ms, %.0f allocations (GODEBUG=inittrace=1)\n", st.InitMs, st.InitAllocs)
	}
	if m := r.bench("BenchmarkIdle"); m != nil {
		fmt.Fprintf(w, "\nIdle after use, %d run(s)\n", r.runsOf("BenchmarkIdle"))
		for _, n := range []string{"3", "500"} {
			fmt.Fprintf(w, "  %3s accounts: %5.1f MiB resident, %5.1f ms CPU per idle minute\n", n, m["rss-MiB-"+n], m["cpu-ms/min-"+n])
		}
	}
	if m := r.bench("BenchmarkBinarySize"); m != nil {
		fmt.Fprintf(w, "\nBinary: %.1f MiB (%s/%s, no cgo, -trimpath -s -w)\n", m["MiB"], r.Machine.GOOS, r.Machine.GOARCH)
	}
	if len(r.Targets) > 0 {
		fmt.Fprintln(w, "\nTargets (issues 7 and 15)")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, t := range r.Targets {
			mark := "met"
			if !t.Met {
				mark = "NOT MET"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", t.What, t.Want, t.Got, mark)
		}
		tw.Flush()
	}
}
