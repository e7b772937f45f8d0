#!/usr/bin/env bash
# Retakes the README's screenshot (docs/screenshot.png): the first screen of the playground
# at 1440×900, light theme, from the release build in dist/ (run tests/run.sh or
# `trunk build --release --config trunk.toml` first). The browser suite takes the same
# picture on every run but writes it only to its shots directory.
set -euo pipefail
cd "$(dirname "$0")/.."
NETPLAY_README_SCREENSHOT=1 node --test --test-name-pattern='screenshot for the README' tests/e2e/budgets.test.mjs
