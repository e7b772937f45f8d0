#!/usr/bin/env bash
# Starts the playground on a fresh machine: installs what the web build needs (first run:
# ~12 min for Trunk and wasm-bindgen), then serves the app with live reload at
# http://127.0.0.1:8080 — it opens with an example scenario loaded. Ctrl-C stops it.
# Extra arguments go to `trunk serve` (e.g. `--port 9000`, `--open`).
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/setup.sh --web

export PATH="$HOME/.cargo/bin:$PWD/tests/e2e/node_modules/.bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
# trunk.toml builds offline; fetch the crates first (instant when they are there).
cargo fetch --locked --quiet

port=8080
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --port=*) port=${args[i]#--port=} ;;
    --port) port=${args[i + 1]:-$port} ;;
  esac
done
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "port $port is already in use (is the playground already running?); try: bash www/serve.sh --port 8081" >&2
  exit 1
fi
url="http://127.0.0.1:$port/"
echo "[serve] building the playground (first build: a few minutes), then serving it at $url"
# Announce the URL once the server answers, below Trunk's build output.
(
  for _ in $(seq 1800); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      printf '\n  ==> netplay playground: %s   (Ctrl-C to stop)\n\n' "$url"
      exit 0
    fi
    sleep 1
  done
) &
# A dev build in its own folder: dist/ stays the release build that tests/run.sh tests.
exec trunk serve --config trunk.toml --dist target/serve-dist "$@"
