#!/usr/bin/env bash
# Runs every check netplay has: formatting, clippy (warnings are errors), all Rust tests
# (unit, property, scenario and CLI snapshot tests), then the web app's release build
# (Trunk) and its browser end-to-end tests. This is the command CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/setup.sh

echo "== rustfmt"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== clippy (wasm32: the browser-only code paths)"
cargo clippy -p netplay-web --target wasm32-unknown-unknown --locked -- -D warnings
echo "== tests"
cargo test --workspace --locked
echo "== dependencies: cargo deny (licenses, bans, sources; advisories when the database can be fetched)"
bash tests/deny.sh
echo "== fuzz smoke: every fuzz target for 5 s from its corpus (skipped without cargo-fuzz)"
start=$SECONDS
bash crates/fuzz/smoke.sh 5
echo "fuzz smoke: $((SECONDS - start)) s"
echo "== web: component tests in headless Chromium (wasm-bindgen-test)"
CHROMEDRIVER=/usr/bin/chromedriver cargo test -p netplay-web --target wasm32-unknown-unknown --locked

echo "== web: trunk build --release"
export PATH="$HOME/.cargo/bin:$PWD/tests/e2e/node_modules/.bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
# trunk.toml builds offline (no tool downloads); the crates must be fetched first.
cargo fetch --locked --quiet
start=$SECONDS
trunk build --release --config trunk.toml
echo "web build: $((SECONDS - start)) s"

echo "== web: browser end-to-end tests (dist/ in headless Chromium)"
start=$SECONDS
node --test --test-reporter=spec tests/e2e/*.test.mjs
echo "e2e: $((SECONDS - start)) s"
