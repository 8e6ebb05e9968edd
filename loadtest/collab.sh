#!/usr/bin/env bash
# Collaboration fan-out: `caas-loadtest collab` against a release `caas serve`,
# against the reference y-websocket server (`@y/websocket-server` 0.1.1,
# installed in loadtest/ywsserver/ with `npm ci`) and against Hocuspocus 4
# (`@hocuspocus/server` 4.7.0, loadtest/hocuspocus/, `npm ci`; its own framing:
# the document name before every message and an Auth message first), then the
# ratios CAAS / each peer.
#
# D documents x C clients each; every client inserts a timestamp stamp into the
# shared Y.Text at R updates/s over y-websocket, every other client of the
# document times the update's arrival. CAAS runs on SQLite in a temp dir with
# rate limits off (it stores every update before relaying it); the y-websocket
# server keeps documents in memory only (no YPERSISTENCE), and so does
# Hocuspocus (no extensions, default configuration). Server CPU (send
# window + drain) and RSS come from /proc. The load generator runs on the same
# machine and shares its cores.
#
# Usage: loadtest/collab.sh [docs] [clients-per-doc] [rate-per-client] [seconds]
# Environment:
#   COLLAB_OUT          a folder to keep caas.json, yws.json and hocuspocus.json in
#   COLLAB_EXTRA        extra flags for caas-loadtest collab
#   COLLAB_SKIP_BUILD   set: use the release binaries already in target/
#   COLLAB_SKIP_HOCUSPOCUS  set: leave out the Hocuspocus leg
#   HOCUSPOCUS_NODE     the node that runs Hocuspocus (default: `node` on PATH;
#                       Hocuspocus 4 declares node >= 22 but runs on node 20)
set -euo pipefail
cd "$(dirname "$0")/.."
DOCS=${1:-50}
CLIENTS=${2:-4}
RATE=${3:-5}
SECS=${4:-20}
PORT=18290
YPORT=18291
HPORT=18292
HPNODE=${HOCUSPOCUS_NODE:-node}

ulimit -n "$(ulimit -Hn)"
[ -n "${COLLAB_SKIP_BUILD:-}" ] || cargo build --release -q -p caas-api -p caas-loadtest
BIN=${CARGO_TARGET_DIR:-target}/release
if [ ! -d loadtest/ywsserver/node_modules/@y/websocket-server ]; then
  (cd loadtest/ywsserver && npm ci --no-audit --no-fund --ignore-scripts >&2)
fi
if [ -z "${COLLAB_SKIP_HOCUSPOCUS:-}" ] && [ ! -d loadtest/hocuspocus/node_modules/@hocuspocus/server ]; then
  (cd loadtest/hocuspocus && npm ci --no-audit --no-fund --ignore-scripts >&2)
fi

work=$(mktemp -d)
server=
stop_server() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  server=
}
cleanup() { stop_server; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() { # url
  for _ in $(seq 100); do curl -fs "$1" >/dev/null && return 0; sleep 0.1; done
  echo "collab.sh: $1 did not answer" >&2
  return 1
}

# shellcheck disable=SC2206
extra=(${COLLAB_EXTRA:-})
rev=$(git rev-parse --short HEAD 2>/dev/null || echo '?')

# --- CAAS ---
db="sqlite://$work/caas.db"
app=$(CAAS_DATABASE_URL=$db CAAS_DATA_DIR=$work "$BIN/caas" app create --name collab-bench)
key=$(echo "$app" | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
secret=$(echo "$app" | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_secret"])')
CAAS_DATABASE_URL=$db CAAS_DATA_DIR=$work CAAS_HTTP_ADDR=127.0.0.1:$PORT \
  CAAS_RATE_LIMIT_APP=0 CAAS_RATE_LIMIT_USER=0 CAAS_MAX_CONNECTIONS_PER_IP=0 CAAS_MAX_CONNECTIONS_PER_USER=0 CAAS_LOG=warn "$BIN/caas" serve &
server=$!
wait_http "http://127.0.0.1:$PORT/readyz"
echo "== CAAS collab: $DOCS docs x $CLIENTS clients x $RATE updates/s, $SECS s" >&2
timeout $(( SECS + 400 )) "$BIN/caas-loadtest" collab --target caas --base "http://127.0.0.1:$PORT" \
  --api-key "$key" --api-secret "$secret" --server-pid "$server" \
  --docs "$DOCS" --clients "$CLIENTS" --rate "$RATE" --duration "$SECS" \
  --label "caas $rev (sqlite)" "${extra[@]}" >"$work/caas.json"
stop_server

# --- @y/websocket-server ---
HOST=127.0.0.1 PORT=$YPORT node loadtest/ywsserver/node_modules/@y/websocket-server/src/server.js >&2 &
server=$!
wait_http "http://127.0.0.1:$YPORT/"
echo "== @y/websocket-server 0.1.1 collab: $DOCS docs x $CLIENTS clients x $RATE updates/s, $SECS s" >&2
timeout $(( SECS + 400 )) "$BIN/caas-loadtest" collab --target yws --base "http://127.0.0.1:$YPORT" \
  --server-pid "$server" --docs "$DOCS" --clients "$CLIENTS" --rate "$RATE" --duration "$SECS" \
  --label "@y/websocket-server 0.1.1 (node $(node --version), in memory)" "${extra[@]}" >"$work/yws.json"
stop_server

# --- Hocuspocus 4 ---
peers=("$work/yws.json")
if [ -z "${COLLAB_SKIP_HOCUSPOCUS:-}" ]; then
  hpver=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' \
    loadtest/hocuspocus/node_modules/@hocuspocus/server/package.json)
  HOST=127.0.0.1 PORT=$HPORT "$HPNODE" loadtest/hocuspocus/server.mjs >&2 &
  server=$!
  wait_http "http://127.0.0.1:$HPORT/"
  echo "== @hocuspocus/server $hpver collab: $DOCS docs x $CLIENTS clients x $RATE updates/s, $SECS s" >&2
  timeout $(( SECS + 400 )) "$BIN/caas-loadtest" collab --target hocuspocus --base "http://127.0.0.1:$HPORT" \
    --server-pid "$server" --docs "$DOCS" --clients "$CLIENTS" --rate "$RATE" --duration "$SECS" \
    --label "@hocuspocus/server $hpver (node $("$HPNODE" --version), in memory)" "${extra[@]}" >"$work/hocuspocus.json"
  stop_server
  peers+=("$work/hocuspocus.json")
fi

echo "== caas"; cat "$work/caas.json"
echo "== yws"; cat "$work/yws.json"
if [ -z "${COLLAB_SKIP_HOCUSPOCUS:-}" ]; then echo "== hocuspocus"; cat "$work/hocuspocus.json"; fi
python3 - "$work/caas.json" "${peers[@]}" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
peers = [json.load(open(p)) for p in sys.argv[2:]]
names = {"yws": "@y/websocket-server", "hocuspocus": "hocuspocus"}
def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "n/a"
for p in peers:
    name = names.get(p["target"], p["target"])
    print(f"== ratios (caas / {name})")
    print(f"delivered updates/s: {c['delivered_per_sec']} / {p['delivered_per_sec']} = {ratio(c['delivered_per_sec'], p['delivered_per_sec'])}")
    cu, pu = c.get("server_cpu_us_per_delivery"), p.get("server_cpu_us_per_delivery")
    print(f"server CPU per delivered update (us): {cu} / {pu} = {ratio(cu, pu)}  (above 1: CAAS spends more CPU per delivery)")
    print(f"fan-out p50 / p99 (ms): caas {c['p50_ms']} / {c['p99_ms']}, {name} {p['p50_ms']} / {p['p99_ms']}")
    print(f"delivered: caas {c['deliveries']} of {c['expected_deliveries']}, {name} {p['deliveries']} of {p['expected_deliveries']}")
    print(f"server KiB per document after the run: caas {c.get('server_kib_per_doc_after')}, {name} {p.get('server_kib_per_doc_after')}")
PY
if [ -n "${COLLAB_OUT:-}" ]; then
  mkdir -p "$COLLAB_OUT"
  cp "$work/caas.json" "${peers[@]}" "$COLLAB_OUT/"
fi
