#!/usr/bin/env bash
# One command for every performance number of docs/performance.md:
#   bash tests/bench/run.sh          all targets, the growth curve, the CLI as a process
#                                    (time, max RSS) and the comparison with the PyPI peers
#   BENCH_QUICK=1 bash tests/bench/run.sh   small sizes only (a smoke run, ~1 minute warm)
# Results go to tests/bench/out/ (git-ignored); the plot to docs/performance-growth.png.
# Needs release builds: run it when the machine is otherwise idle, numbers are wall clock.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH_DIR=tests/bench
OUT="$BENCH_DIR/out"
mkdir -p "$OUT"

# Python side: the peers and matplotlib, in a venv of our own (idempotent).
VENV="$BENCH_DIR/.venv"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
if ! "$VENV/bin/python" -c 'import kube_netpol, knetvis, matplotlib' 2>/dev/null; then
  "$VENV/bin/pip" install --quiet -r "$BENCH_DIR/requirements.txt"
fi

cargo build --release --quiet -p netplay -p netplay-synth

if [ -n "${BENCH_QUICK:-}" ]; then
  cargo bench --quiet -p netplay-core --bench targets -- quick > "$OUT/targets.jsonl"
  : > "$OUT/growth.jsonl"
  SIZES="25:500:300"
else
  cargo bench --quiet -p netplay-core --bench targets > "$OUT/targets.jsonl"
  cargo bench --quiet -p netplay-core --bench targets -- growth > "$OUT/growth.jsonl"
  SIZES="250:5000:3000 1000:20000:10000"
fi

# The same inputs as files, so that the CLI and the peers read identical YAML.
for size in $SIZES; do
  IFS=: read -r n w p <<< "$size"
  dir="$OUT/cluster-$w"
  [ -f "$dir/policies.yaml" ] || target/release/netplay-synth cluster "$n" "$w" "$p" "$dir"
done
# Issue 22's whole-process targets: nearly every workload its own labels.
DISTINCT_SIZES="250:5000:3000 1000:20000:10000"
RUNS=3
[ -n "${BENCH_QUICK:-}" ] && DISTINCT_SIZES="25:500:300 50:1000:600" && RUNS=1
for size in $DISTINCT_SIZES; do
  IFS=: read -r n w p <<< "$size"
  dir="$OUT/distinct-$w"
  [ -f "$dir/policies.yaml" ] || target/release/netplay-synth distinct "$n" "$w" "$p" "$dir"
done

# The previous release, timed beside this build: main at 53c3ca3 (before issue 22's
# output work), built once into its own directory (a cold release build, ~10 min) and
# kept. BENCH_BASELINE=path/to/netplay uses another; a quick run uses it only if built.
BASELINE_COMMIT=53c3ca3
BASELINE="${BENCH_BASELINE:-$OUT/baseline-$BASELINE_COMMIT/target/release/netplay}"
if [ ! -x "$BASELINE" ] && [ -z "${BENCH_BASELINE:-}" ] && [ -z "${BENCH_QUICK:-}" ]; then
  src="$OUT/baseline-$BASELINE_COMMIT/src"
  rm -rf "$src" && mkdir -p "$src"
  git archive "$BASELINE_COMMIT" | tar -x -C "$src"
  (cd "$src" && cargo build --release --locked --quiet -p netplay --target-dir ../target)
fi
BASELINE_ARGS=()
[ -x "$BASELINE" ] && BASELINE_ARGS=(--baseline "$BASELINE")

"$VENV/bin/python" "$BENCH_DIR/bench.py" --out "$OUT" --netplay target/release/netplay --sizes "$SIZES" \
  --plot docs/performance-growth.png --distinct-sizes "$DISTINCT_SIZES" --runs "$RUNS" \
  ${BENCH_QUICK:+--quick} "${BASELINE_ARGS[@]}"

# Reading pod dumps (kubectl get pods -A -o json) as the pod count doubles: the growth
# exponent and the 40,000-pod verdict.
PODS_SIZES=2500,5000,10000,20000,40000
[ -n "${BENCH_QUICK:-}" ] && PODS_SIZES=1000,2000,4000
python3 "$BENCH_DIR/pods.py" --netplay target/release/netplay --synth target/release/netplay-synth \
  --out "$OUT" --sizes "$PODS_SIZES" | tee "$OUT/pods.txt"

# The playground in Chromium (WASM), when a web build exists: prints BENCH lines.
# The default scenario's first evaluation on a fresh page: a new Chromium per load.
if [ -f "${NETPLAY_DIST:-dist}/index.html" ]; then
  NETPLAY_BENCH=1 node --test tests/e2e/bench.test.mjs | tee "$OUT/browser.txt" | grep -E 'BENCH|verdict'
  node tests/bench/first_eval.mjs --runs 9 ${NETPLAY_DIST:+--dist "$NETPLAY_DIST"} | tee "$OUT/first_eval.txt" | grep -E 'BENCH|verdict'
  # The same first visit in a browser already running (a new context per load).
  node tests/bench/first_eval.mjs --runs 9 --running-browser ${NETPLAY_DIST:+--dist "$NETPLAY_DIST"} \
    | tee "$OUT/first_eval_running.txt" | grep -E 'BENCH|verdict'
fi
