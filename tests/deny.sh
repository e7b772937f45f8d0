#!/usr/bin/env bash
# Dependency hygiene with cargo deny and the checked-in .cargo/deny.toml: licenses, bans
# and sources always; advisories only when RustSec's database can be fetched (it lives on
# GitHub, which a machine that reaches only package registries cannot clone). A skipped
# advisory check is said plainly and does not fail the run; everything else does.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d "$HOME/.cargo/bin" ]] && export PATH="$HOME/.cargo/bin:$PATH"

if ! cargo deny --version >/dev/null 2>&1; then
  echo "cargo deny is not installed: bash tests/setup.sh installs it" >&2
  exit 1
fi
cargo deny --log-level error check licenses bans sources
echo "cargo deny: licenses, bans, sources ok"
if timeout 120 cargo deny fetch db >/dev/null 2>&1; then
  cargo deny --log-level error check --disable-fetch advisories
  echo "cargo deny: advisories ok"
else
  echo "cargo deny: advisories SKIPPED: the RustSec advisory database could not be fetched (no network access to it); run 'cargo deny check advisories' where it can be"
fi
