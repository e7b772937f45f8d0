#!/usr/bin/env bash
# Runs every check netplay has: formatting, clippy (warnings are errors) and all tests
# (unit, property, scenario and CLI snapshot tests). This is the command CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/setup.sh

echo "== rustfmt"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== tests"
cargo test --workspace --locked
