#!/usr/bin/env bash
# hopd's numbers, measured (make bench): cached serving against a trivial
# net/http handler, the cold path against moto's own latency, STS calls
# per account per hour under load, the naive alternative, the start-up of
# `hopd creds` against a Go hello-world, idle memory and CPU, binary
# size. Prints a table of medians and the targets of issues 7 and 15,
# writes bench/results/latest.json (and a copy named by the time) and
# draws docs/latency.svg.
#
#   ./scripts/bench.sh           # the full suite: about 10 minutes
#   ./scripts/bench.sh --quick   # one short run of each part, to try it
#
# The benchmarks (bench/*_test.go) start their own moto, counting STS
# proxy, gnome-keyring on a private D-Bus and hopd daemons; nothing outside
# temporary directories is touched. They need what `make test` needs
# (scripts/deps.sh installs it), and the AWS CLI for the naive comparison.
set -euo pipefail

runs=5 benchtime=2s cold=40x naive=100x startup=200x idle=60s
case "${1:-}" in
"") ;;
--quick) runs=1 benchtime=200ms cold=5x naive=5x startup=20x idle=5s ;;
-h | --help)
	sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "usage: $0 [--quick]   (see $0 --help)" >&2
	exit 2
	;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v go >/dev/null || {
	echo "bench: the go tool is missing: install Go 1.26" >&2
	exit 1
}
# The release build, as users get it, when `make bench` made it.
if [[ -x bin/hopd ]]; then
	export HOPD_BENCH_BIN=$root/bin/hopd
fi
export HOPD_BENCH_IDLE=$idle

results=bench/results
mkdir -p "$results"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
raw=$results/$stamp.txt
: >"$raw"

failed=0
part() { # title, go test flags...
	local title=$1
	shift
	printf '\n== %s\n' "$title"
	if ! go test -run '^$' -timeout 60m "$@" ./bench/ 2>&1 | tee -a "$raw"; then
		echo "bench: $title failed; the report shows the rest" >&2
		failed=1
	fi
}

# Rounds of floor, ECS and IMDS in turn rather than -count, which would
# run each one its count of times in a row (see bench/serving_test.go).
HOPD_BENCH_ROUNDS=$runs part "cached serving, $runs rounds of $benchtime per row" -bench '^BenchmarkServing$' -benchtime "$benchtime" -count 1
part "cold path, $runs runs of $cold" -bench '^BenchmarkColdPath$' -benchtime "$cold" -count "$runs"
part "STS calls per account per hour, 3 simulated hours" -bench '^BenchmarkSTSCallsPerHour$' -benchtime 1x -count 1
part "the naive alternative, $naive invocations each" -bench '^BenchmarkNaive$' -benchtime "$naive" -count 1
part "start-up: hello-world, SDK, hopd version, hopd creds, $startup processes each" -bench '^BenchmarkStartup$' -benchtime "$startup" -count 1
part "idle for $idle, binary size" -bench '^(BenchmarkIdle|BenchmarkBinarySize)$' -benchtime 1x -count 1

printf '\n'
go run ./bench/report -json "$results/$stamp.json" "$raw"
cp "$results/$stamp.json" "$results/latest.json"
cp "$raw" "$results/latest.txt"
go run ./bench/plot -in "$results/latest.json" -out docs/latency.svg
printf '\nbench: wrote %s, %s and docs/latency.svg\n' "$results/latest.json" "$results/latest.txt"
exit "$failed"
