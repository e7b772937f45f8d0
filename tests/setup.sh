#!/usr/bin/env bash
# Installs what building and testing netplay needs on a fresh Debian machine with rustup.
# Idempotent: every step is skipped when its tool is already there.
set -euo pipefail

log() { printf '[setup] %s\n' "$*" >&2; }

for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^${component}"; then
    log "rustup component add ${component}"
    rustup component add "${component}"
  fi
done
