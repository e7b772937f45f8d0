#!/usr/bin/env bash
# Runs every check netplay has: formatting, clippy (warnings are errors), all Rust tests
# (unit, property, scenario and CLI snapshot tests), then the web app's release build
# (Trunk) and its browser end-to-end tests. This is the command CI runs; it prints the
# time of each stage at the end. Property tests run at CI case counts; the full counts
# are the nightly command (docs/performance.md, "Test suite").
set -euo pipefail
cd "$(dirname "$0")/.."

# Stage timing: `stage NAME` ends the previous stage and starts the next; the table is
# printed on exit, also when a stage fails.
stages=()
stage_name=""
stage_start=$SECONDS
suite_start=$SECONDS
stage() {
  if [[ -n $stage_name ]]; then stages+=("$(printf '%6d s  %s' $((SECONDS - stage_start)) "$stage_name")"); fi
  stage_name=$1
  stage_start=$SECONDS
  [[ -n $1 ]] && echo "== $1"
  return 0
}
summary() {
  local rc=$?
  stage ""
  echo "== time per stage"
  printf '%s\n' "${stages[@]}"
  printf '%6d s  total%s\n' $((SECONDS - suite_start)) "$([[ $rc -ne 0 ]] && echo " (FAILED, exit $rc)")"
}
trap summary EXIT

stage "setup (tools)"
bash tests/setup.sh

stage "rustfmt"
cargo fmt --all -- --check
stage "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
stage "clippy (wasm32: the browser-only code paths)"
cargo clippy -p netplay-web --target wasm32-unknown-unknown --locked -- -D warnings
stage "tests"
cargo test --workspace --locked
stage "dependencies: cargo deny (licenses, bans, sources; advisories when the database can be fetched)"
bash tests/deny.sh
stage "fuzz smoke: every fuzz target for 5 s from its corpus (skipped without cargo-fuzz)"
bash crates/fuzz/smoke.sh 5
stage "web: component tests in headless Chromium (wasm-bindgen-test)"
CHROMEDRIVER=/usr/bin/chromedriver cargo test -p netplay-web --target wasm32-unknown-unknown --locked

stage "web: trunk build --release"
export PATH="$HOME/.cargo/bin:$PWD/tests/e2e/node_modules/.bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
# trunk.toml builds offline (no tool downloads); the crates must be fetched first.
cargo fetch --locked --quiet
trunk build --release --config trunk.toml

stage "web: browser end-to-end tests (dist/ in headless Chromium)"
node --test --test-reporter=spec tests/e2e/*.test.mjs
