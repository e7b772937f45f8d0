#!/usr/bin/env bash
# A short run of every fuzz target from its committed corpus: SECONDS each (default 5).
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`); works on stable Rust. Exits 0
# with a message when cargo-fuzz is not installed, non-zero when a target crashes.
#
#   bash crates/fuzz/smoke.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-5}
targets=(scenario mesh_request share_link bundle address_plan assertions lesson)

[[ -d "$HOME/.cargo/bin" ]] && export PATH="$HOME/.cargo/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz smoke: SKIPPED (cargo-fuzz is not installed: cargo install cargo-fuzz --locked)"
  exit 0
fi
# The fuzz build is instrumented and separate from the workspace's; keep it outside the
# checkout so that fresh clones on the same machine (CI) reuse it.
target_dir=${NETPLAY_FUZZ_TARGET_DIR:-$HOME/.cache/netplay/fuzz-target}
flags=(--fuzz-dir crates/fuzz -O -a --sanitizer none --target-dir "$target_dir")

start=$SECONDS
nice -n 10 cargo fuzz build "${flags[@]}"
echo "fuzz smoke: build $((SECONDS - start)) s"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for t in "${targets[@]}"; do
  mkdir -p "$scratch/$t"
  dict=crates/fuzz/yaml.dict
  [[ $t == lesson ]] && dict=crates/fuzz/lesson.dict
  # New inputs go to the scratch directory; the committed corpus is only read.
  out=$(nice -n 10 cargo fuzz run "${flags[@]}" "$t" "$scratch/$t" "crates/fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -max_len=16384 -dict="$dict" -print_final_stats=1 \
    -artifact_prefix="$scratch/" 2>&1) || {
    echo "$out" | tail -40
    echo "fuzz smoke: $t CRASHED; the input is in crates/fuzz/artifacts or above (see crates/fuzz/README.md)"
    mkdir -p "crates/fuzz/artifacts/$t" && cp "$scratch"/crash-* "$scratch"/timeout-* "$scratch"/oom-* "crates/fuzz/artifacts/$t/" 2>/dev/null || true
    exit 1
  }
  runs=$(echo "$out" | sed -n 's/^stat::number_of_executed_units: *//p')
  cov=$(echo "$out" | grep -o 'cov: [0-9]*' | tail -1)
  echo "fuzz smoke: $t ok: ${runs:-?} executions in ${seconds} s, ${cov:-cov: ?}"
done
