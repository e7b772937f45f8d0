#!/usr/bin/env bash
# Installs what building and testing netplay needs on a fresh Debian machine with rustup
# and Node.js >= 20. Idempotent: every step is skipped when its tool is already there.
#
#   bash tests/setup.sh          everything: Rust components, the web toolchain, Node
#                                packages, Chromium for the browser tests
#   bash tests/setup.sh --web    only what building and serving the web app needs
#                                (wasm target, Trunk, wasm-bindgen, wasm-opt)
set -euo pipefail
cd "$(dirname "$0")/.."

mode=all
case "${1:-}" in
  "" | --all) mode=all ;;
  --web) mode=web ;;
  *) echo "usage: bash tests/setup.sh [--all|--web]" >&2; exit 2 ;;
esac

log() { printf '[setup] %s\n' "$*" >&2; }
# Runs a step and says how long it took.
timed() {
  local what=$1 start=$SECONDS
  shift
  log "$what ..."
  "$@"
  log "$what: done in $((SECONDS - start)) s"
}

[[ -d "$HOME/.cargo/bin" ]] && export PATH="$HOME/.cargo/bin:$PATH"
export PATH="$PWD/tests/e2e/node_modules/.bin:$PATH"

TRUNK_VERSION=0.21.14
# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [[ -z "$WASM_BINDGEN_VERSION" ]]; then
  echo "[setup] cannot find the wasm-bindgen version in Cargo.lock" >&2
  exit 1
fi
if ! grep -q "^wasm_bindgen = \"${WASM_BINDGEN_VERSION}\"" trunk.toml; then
  echo "[setup] trunk.toml [tools] wasm_bindgen must be \"${WASM_BINDGEN_VERSION}\" (the version in Cargo.lock)" >&2
  exit 1
fi

apt_updated=0
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  if [[ $apt_updated -eq 0 ]]; then
    $sudo apt-get update -qq
    apt_updated=1
  fi
  # A first attempt has been seen to fail half-way on this kind of machine; once more.
  $sudo apt-get install -y -qq "$@" >/dev/null ||
    { log "apt-get install $* failed; retrying once"; sleep 5; $sudo apt-get update -qq; $sudo apt-get install -y -qq "$@" >/dev/null; }
}

# --- Rust -----------------------------------------------------------------------------
if [[ $mode == all ]]; then
  for component in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^${component}"; then
      timed "rustup component add ${component}" rustup component add "${component}"
    fi
  done
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  timed "rustup target add wasm32-unknown-unknown" rustup target add wasm32-unknown-unknown
fi

# Trunk 0.22 needs a newer rustc than ours; 0.21.14 is the version that installs and works.
if [[ "$(trunk --version 2>/dev/null)" != "trunk ${TRUNK_VERSION}" ]]; then
  timed "cargo install trunk ${TRUNK_VERSION} (~9 min)" \
    cargo install --quiet --locked trunk --version "${TRUNK_VERSION}"
fi

# Without --locked: wasm-bindgen-cli's own lockfile names a crate version the registry lacks.
if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen ${WASM_BINDGEN_VERSION}" ]]; then
  timed "cargo install wasm-bindgen-cli ${WASM_BINDGEN_VERSION} (~3 min)" \
    cargo install --quiet --force wasm-bindgen-cli --version "${WASM_BINDGEN_VERSION}"
fi

# --- Dependency and robustness checks (tests/deny.sh, crates/fuzz/smoke.sh) ----------------
CARGO_DENY_VERSION=0.20.2
CARGO_FUZZ_VERSION=0.13.2
if [[ $mode == all ]]; then
  if [[ "$(cargo deny --version 2>/dev/null)" != "cargo-deny ${CARGO_DENY_VERSION}" ]]; then
    timed "cargo install cargo-deny ${CARGO_DENY_VERSION} (~6 min)" \
      cargo install --quiet --locked cargo-deny --version "${CARGO_DENY_VERSION}"
  fi
  # Fuzzing runs on stable Rust with --sanitizer none (crates/fuzz/README.md).
  if [[ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz ${CARGO_FUZZ_VERSION}" ]]; then
    timed "cargo install cargo-fuzz ${CARGO_FUZZ_VERSION} (~1 min)" \
      cargo install --quiet --locked cargo-fuzz --version "${CARGO_FUZZ_VERSION}"
  fi
fi

# --- Node packages: wasm-opt (binaryen 132) for Trunk, playwright-core for the e2e tests --
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "[setup] Node.js >= 20 with npm is required (Debian's nodejs 18 is too old for playwright-core)" >&2
  exit 1
fi
if (($(node -p 'process.versions.node.split(".")[0]') < 20)); then
  echo "[setup] Node.js $(node --version) is too old; playwright-core needs >= 20" >&2
  exit 1
fi
# node_modules is current when it was installed from this exact package-lock.json.
lock_sum=$(sha256sum tests/e2e/package-lock.json | cut -d' ' -f1)
stamp=tests/e2e/node_modules/.netplay-lock-sha256
if [[ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" || ! -x tests/e2e/node_modules/.bin/wasm-opt ]]; then
  timed "npm ci (tests/e2e: playwright-core, binaryen)" \
    npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error
  echo "$lock_sum" >"$stamp"
fi

[[ $mode == web ]] && exit 0

# --- Browser for the e2e tests ---------------------------------------------------------
if [[ ! -x /usr/bin/chromium ]]; then
  timed "apt-get install chromium chromium-driver (~1 min)" apt_install chromium chromium-driver
fi
# The bundle test unpacks the exported zip with the standard tool.
if ! command -v unzip >/dev/null; then
  timed "apt-get install unzip" apt_install unzip
fi
