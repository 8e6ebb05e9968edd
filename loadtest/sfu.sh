#!/usr/bin/env bash
# SFU forwarding through CAAS: `caas-loadtest sfu` against a release `caas serve`.
#
# Starts `caas serve` on 127.0.0.1 (SQLite in a temp dir, rate limits off, the
# SFU's UDP socket on 127.0.0.1), creates an app, runs the scenario (rooms of
# publishers sending synthetic Opus + VP8 through str0m peers, subscribers timing
# every forwarded frame), prints its JSON report and stops the server. The
# server's CPU time (during the measurement window) and peak RSS come from /proc.
# loadtest/janus.sh runs the same load through Janus' VideoRoom.
#
# Usage: loadtest/sfu.sh [rooms] [publishers-per-room] [subscribers-per-room] [seconds]
# Environment:
#   SFU_OUT     a folder to keep the JSON report in (as caas.json; janus.sh compares with it)
#   SFU_EXTRA   extra flags for caas-loadtest sfu (e.g. --video-kbps 1000 --no-audio)
#   CAAS_RTC_WORKERS   SFU engines (default: one per core)
#   SFU_SKIP_BUILD     set: use the release binaries already in target/
set -euo pipefail
cd "$(dirname "$0")/.."
ROOMS=${1:-4}
PUBS=${2:-1}
SUBS=${3:-4}
SECS=${4:-20}
PORT=18190
UDP_PORT=18192

ulimit -n "$(ulimit -Hn)"
[ -n "${SFU_SKIP_BUILD:-}" ] || cargo build --release -q -p caas-api -p caas-loadtest
BIN=${CARGO_TARGET_DIR:-target}/release

work=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() { # url
  for _ in $(seq 100); do curl -fs "$1" >/dev/null && return 0; sleep 0.1; done
  echo "sfu.sh: $1 did not answer" >&2
  return 1
}

db="sqlite://$work/caas.db"
app=$(CAAS_DATABASE_URL=$db CAAS_DATA_DIR=$work "$BIN/caas" app create --name sfu-bench)
key=$(echo "$app" | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
secret=$(echo "$app" | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_secret"])')
CAAS_DATABASE_URL=$db CAAS_DATA_DIR=$work CAAS_HTTP_ADDR=127.0.0.1:$PORT \
  CAAS_RTC_UDP_ADDR=127.0.0.1:$UDP_PORT CAAS_RATE_LIMIT_APP=0 CAAS_RATE_LIMIT_USER=0 CAAS_MAX_CONNECTIONS_PER_IP=0 CAAS_MAX_CONNECTIONS_PER_USER=0 \
  CAAS_LOG=warn "$BIN/caas" serve &
server=$!
wait_http "http://127.0.0.1:$PORT/readyz"

# shellcheck disable=SC2206
extra=(${SFU_EXTRA:-})
echo "== CAAS SFU: $ROOMS rooms x ($PUBS publishers + $SUBS subscribers), $SECS s" >&2
# Bounded: setup (at most 3 x 90 s), the window, drain and leaving.
timeout $(( SECS + 400 )) "$BIN/caas-loadtest" sfu --target caas --base "http://127.0.0.1:$PORT" \
  --api-key "$key" --api-secret "$secret" --server-pid "$server" \
  --rooms "$ROOMS" --publishers "$PUBS" --subscribers "$SUBS" --duration "$SECS" \
  --label "caas $(git rev-parse --short HEAD 2>/dev/null || echo '?')" "${extra[@]}" >"$work/caas.json"
cat "$work/caas.json"
if [ -n "${SFU_OUT:-}" ]; then
  mkdir -p "$SFU_OUT"
  cp "$work/caas.json" "$SFU_OUT/caas.json"
fi
