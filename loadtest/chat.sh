#!/usr/bin/env bash
# Group chat fan-out: CAAS against socket.io, same workload, one after the other.
#
# Starts a release `caas serve` (SQLite in a temp dir, rate limits off) on
# 127.0.0.1, creates an app, runs `caas-loadtest chat` against it, stops it; then
# the same with the socket.io server of loadtest/socketio/ (Node). For each
# server it records CPU seconds (during the load run) and peak RSS from /proc,
# prints both JSON reports and the ratio of delivered messages per second.
#
# Usage: loadtest/chat.sh [clients] [group-size] [rate|idle] [seconds]
#   rate      messages per second in total across all clients
#   idle      instead of chatting, open the clients and keep them idle for
#             [seconds]: reports server memory per connection
# Environment:
#   CHAT_SOURCE_IPS   e.g. 127.0.0.1,127.0.0.2 (needed past ~28k connections)
#   CHAT_TARGETS      default "caas socketio"
#   CHAT_OUT          a folder to keep the JSON reports in (default: not kept)
#   CHAT_EXTRA        extra flags for caas-loadtest chat (e.g. --drain 5)
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${1:-1000}
GROUP=${2:-50}
RATE=${3:-1000}
SECS=${4:-20}
TARGETS=${CHAT_TARGETS:-caas socketio}
CAAS_PORT=18180
SIO_PORT=18181

# One socket per client in the load generator and one in the server.
ulimit -n "$(ulimit -Hn)"
if [ "$CLIENTS" -gt $(( $(ulimit -n) - 100 )) ]; then
  echo "chat.sh: $CLIENTS clients need more than the $(ulimit -n) open files allowed here" >&2
  exit 1
fi

cargo build --release -q -p caas-api -p caas-loadtest
BIN=${CARGO_TARGET_DIR:-target}/release
if [[ " $TARGETS " == *" socketio "* ]] && [ ! -d loadtest/socketio/node_modules ]; then
  (cd loadtest/socketio && npm ci --no-audit --no-fund --silent)
fi

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
  echo "chat.sh: $1 did not answer" >&2
  return 1
}

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

if [ "$RATE" = idle ]; then
  mode=(--idle)
  what="$CLIENTS idle clients for $SECS s"
else
  mode=(--rate "$RATE")
  what="$CLIENTS clients, groups of $GROUP, $RATE msg/s, $SECS s"
fi
src=()
[ -n "${CHAT_SOURCE_IPS:-}" ] && src=(--source-ips "$CHAT_SOURCE_IPS")
# shellcheck disable=SC2206
extra=(${CHAT_EXTRA:-})
# Every run stops by itself: setup (at most 300 s per phase), SECS of load, drain.
limit=$(( SECS + 900 ))

run_load() { # target base pid out [flags...]
  local target=$1 base=$2 pid=$3 out=$4
  shift 4
  local t0 t1 hz
  hz=$(getconf CLK_TCK)
  t0=$(cpu_ticks "$pid")
  timeout "$limit" "$BIN/caas-loadtest" chat --target "$target" --base "$base" --server-pid "$pid" \
    --clients "$CLIENTS" --group-size "$GROUP" "${mode[@]}" --duration "$SECS" "${src[@]}" "${extra[@]}" "$@" \
    >"$work/$target.report.json"
  t1=$(cpu_ticks "$pid")
  python3 - "$work/$target.report.json" "$out" "$(( t1 - t0 ))" "$hz" \
    "$(awk '/VmHWM/{print $2}' "/proc/$pid/status")" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
report["server_cpu_seconds"] = round(int(sys.argv[3]) / int(sys.argv[4]), 2)
report["server_peak_rss_kib"] = int(sys.argv[5])
json.dump(report, open(sys.argv[2], "w"))
print(json.dumps(report))
EOF
}

stop_server() {
  kill -TERM "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=
}

for target in $TARGETS; do
  case $target in
    caas)
      db="sqlite://$work/caas.db"
      app=$(CAAS_DATABASE_URL=$db CAAS_DATA_DIR=$work "$BIN/caas" app create --name chat-bench)
      key=$(echo "$app" | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
      secret=$(echo "$app" | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_secret"])')
      CAAS_DATABASE_URL=$db CAAS_DATA_DIR=$work CAAS_HTTP_ADDR=127.0.0.1:$CAAS_PORT \
        CAAS_RTC_UDP_ADDR=127.0.0.1:$(( CAAS_PORT + 2 )) CAAS_RATE_LIMIT_APP=0 CAAS_RATE_LIMIT_USER=0 CAAS_MAX_CONNECTIONS_PER_IP=0 CAAS_MAX_CONNECTIONS_PER_USER=0 \
        CAAS_LOG=warn "$BIN/caas" serve &
      server=$!
      wait_http "http://127.0.0.1:$CAAS_PORT/readyz"
      echo "== CAAS: $what" >&2
      run_load caas "http://127.0.0.1:$CAAS_PORT" "$server" "$work/caas.json" --api-key "$key" --api-secret "$secret"
      stop_server
      ;;
    socketio)
      node loadtest/socketio/server.js "$SIO_PORT" &
      server=$!
      wait_http "http://127.0.0.1:$SIO_PORT/healthz"
      echo "== socket.io: $what" >&2
      run_load socketio "http://127.0.0.1:$SIO_PORT" "$server" "$work/socketio.json"
      stop_server
      ;;
    *) echo "chat.sh: unknown target $target" >&2; exit 2 ;;
  esac
done

if [ -n "${CHAT_OUT:-}" ]; then
  mkdir -p "$CHAT_OUT"
  for f in "$work"/caas.json "$work"/socketio.json; do [ -f "$f" ] && cp "$f" "$CHAT_OUT/"; done
fi

python3 - "$work/caas.json" "$work/socketio.json" <<'EOF'
import json, os, sys
runs = {name: json.load(open(p)) for name, p in zip(("CAAS", "socket.io"), sys.argv[1:]) if os.path.exists(p)}
if not runs:
    sys.exit(0)
rows = [
    ("connected", "connected", "{:.0f}"),
    ("connect rate (conn/s)", "connect_per_sec", "{:.0f}"),
    ("setup (s)", "setup_seconds", "{:.2f}"),
]
idle = next(iter(runs.values()))["idle"]
if idle:
    rows += [
        ("server RSS before (KiB)", "server_rss_before_kib", "{}"),
        ("server RSS connected (KiB)", "server_rss_connected_kib", "{}"),
        ("RSS per idle connection (KiB)", "server_rss_per_conn_kib", "{:.1f}"),
    ]
else:
    rows += [
        ("sent (msg/s)", "sent_per_sec", "{:.0f}"),
        ("delivered msg/s", "delivered_per_sec", "{:.0f}"),
        ("delivery ratio", "delivery_ratio", "{:.3f}"),
        ("p50 (ms)", "p50_ms", "{:.2f}"),
        ("p99 (ms)", "p99_ms", "{:.2f}"),
        ("p99.9 (ms)", "p999_ms", "{:.2f}"),
        ("max (ms)", "max_ms", "{:.2f}"),
        ("errors", "errors", "{}"),
        ("late sends", "late_sends", "{}"),
    ]
rows += [
    ("server CPU (s)", "server_cpu_seconds", "{:.1f}"),
    ("server peak RSS (MiB)", "server_peak_rss_kib", None),
    ("load generator CPU (s)", "client_cpu_seconds", "{:.1f}"),
]
names = list(runs)
print("\n%-32s" % "" + "".join("%14s" % n for n in names), file=sys.stderr)
for label, key, fmt in rows:
    cells = []
    for n in names:
        v = runs[n].get(key)
        if v is None:
            cells.append("-")
        elif fmt is None:
            cells.append("%.0f" % (v / 1024))
        else:
            cells.append(fmt.format(v))
    print("%-32s" % label + "".join("%14s" % c for c in cells), file=sys.stderr)
if len(runs) == 2:
    c, s = runs["CAAS"], runs["socket.io"]
    if idle:
        if c.get("server_rss_per_conn_kib") and s.get("server_rss_per_conn_kib"):
            print("memory per idle connection, CAAS / socket.io: %.2f" % (c["server_rss_per_conn_kib"] / s["server_rss_per_conn_kib"]), file=sys.stderr)
    elif s["delivered_per_sec"] > 0:
        print("delivered msg/s, CAAS / socket.io: %.2f; p99 %.2f ms vs %.2f ms"
              % (c["delivered_per_sec"] / s["delivered_per_sec"], c["p99_ms"], s["p99_ms"]), file=sys.stderr)
EOF
