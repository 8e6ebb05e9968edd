#!/usr/bin/env bash
# Node loss: three `caas serve` nodes behind HAProxy, one killed with SIGKILL
# in the middle of a chat and collab run (issue 14, part 7).
#
# 1. Installs HAProxy from Debian if it is missing (apt-get install -y haproxy)
#    and runs it as the only gateway on 127.0.0.1: round robin over the nodes,
#    health checks on /readyz (every 250 ms, down after 2 failures, up after 2
#    passes; 2 s to answer), `timeout tunnel` for WebSockets, X-Forwarded-For (the nodes trust
#    127.0.0.1 through CAAS_TRUSTED_PROXIES), and an `X-Caas-Node` response
#    header naming the node it picked (the load generator reads it to place
#    clients and to count drops per node).
# 2. Creates a fresh PostgreSQL database on 127.0.0.1:5432, and starts three
#    nodes n1..n3 on 127.0.0.1 (own HTTP and SFU UDP ports) sharing it and
#    Redis 127.0.0.1:6379, rate limits off.
# 3. Creates an app (`caas app create`).
# 4. Runs `caas-loadtest nodeloss` through the gateway: chat clients in groups
#    that resume by cursor when their socket drops (sends retried with the same
#    client_msg_id), and y-websocket editors of one document, editor 0 on the
#    node to kill.
# 5. Kills that node with `kill -9` NODELOSS_KILL_AT seconds after sending starts.
# 6. Prints the report (JSON, stdout) and exits 1 unless every check passed:
#    every client resumed, no acknowledged message lost, none duplicated, every
#    send acknowledged, the document converged (replicas and server) with every
#    edit in it. Reconnect time p50/p99/max, delayed, lost and duplicated are in
#    `summary`.
#
# Bounded: every wait has a limit, the load generator runs under `timeout`,
# and an EXIT trap stops HAProxy and the nodes and drops the database.
#
# Usage: loadtest/node-loss.sh [short|long]
#   short (default, for CI): 200 clients, groups of 10, 40 msg/s, 20 s, kill at 10 s
#   long  (figures):        1000 clients, groups of 10, 100 msg/s, 60 s, kill at 30 s
# Environment (each overrides the mode's value):
#   NODELOSS_CLIENTS, NODELOSS_GROUP, NODELOSS_RATE (msg/s in total), NODELOSS_SECS,
#   NODELOSS_KILL_AT (s after sending starts), NODELOSS_KILL_NODE (n1|n2|n3, default n2),
#   NODELOSS_SIGNAL (KILL, the default, or TERM: a graceful stop, sockets closed with 1001),
#   NODELOSS_DRAIN (s to wait for resumes and late deliveries, default 30),
#   NODELOSS_EDITORS (default 3), NODELOSS_EDIT_RATE (edits/s per editor, default 5),
#   NODELOSS_PORT (gateway port, default 18380; nodes +1..+3, SFU UDP +11..+13),
#   NODELOSS_PROFILE (debug|release, default debug),
#   NODELOSS_SKIP_BUILD (set: do not run cargo build), NODELOSS_CAAS, NODELOSS_LOADTEST
#   (binaries; default ${CARGO_TARGET_DIR:-target}/$NODELOSS_PROFILE/...),
#   NODELOSS_OUT (a file to copy the JSON report to), NODELOSS_KEEP (a folder to copy
#   the logs of the nodes, HAProxy and the load generator to), NODELOSS_HAPROXY_LOG
#   (set: HAProxy logs every request), NODELOSS_PG (default
#   postgres://postgres@127.0.0.1:5432), NODELOSS_REDIS (default redis://127.0.0.1:6379),
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-short}
case $MODE in
  short) d_clients=200;  d_rate=40;  d_secs=20 ;;
  long)  d_clients=1000; d_rate=100; d_secs=60 ;;
  *) echo "node-loss.sh: mode is short or long, not '$MODE'" >&2; exit 2 ;;
esac
CLIENTS=${NODELOSS_CLIENTS:-$d_clients}
GROUP=${NODELOSS_GROUP:-10}
RATE=${NODELOSS_RATE:-$d_rate}
SECS=${NODELOSS_SECS:-$d_secs}
KILL_AT=${NODELOSS_KILL_AT:-$(( SECS / 2 ))}
KILL_NODE=${NODELOSS_KILL_NODE:-n2}
SIGNAL=${NODELOSS_SIGNAL:-KILL}
DRAIN=${NODELOSS_DRAIN:-30}
EDITORS=${NODELOSS_EDITORS:-3}
EDIT_RATE=${NODELOSS_EDIT_RATE:-5}
PORT=${NODELOSS_PORT:-18380}
PROFILE=${NODELOSS_PROFILE:-debug}
PG=${NODELOSS_PG:-postgres://postgres@127.0.0.1:5432}
REDIS=${NODELOSS_REDIS:-redis://127.0.0.1:6379}
NODES=(n1 n2 n3)

case $KILL_NODE in n1|n2|n3) ;; *) echo "node-loss.sh: NODELOSS_KILL_NODE must be n1, n2 or n3" >&2; exit 2 ;; esac
case $SIGNAL in KILL|TERM) ;; *) echo "node-loss.sh: NODELOSS_SIGNAL must be KILL or TERM" >&2; exit 2 ;; esac
if [ "$KILL_AT" -ge "$SECS" ]; then
  echo "node-loss.sh: NODELOSS_KILL_AT ($KILL_AT) must be below NODELOSS_SECS ($SECS)" >&2
  exit 2
fi
for url in "$PG" "$REDIS"; do
  case $url in
    *://127.0.0.1:*|*://*@127.0.0.1:*|*://localhost:*|*://*@localhost:*) ;;
    *) echo "node-loss.sh: $url is not on this machine (loopback only)" >&2; exit 2 ;;
  esac
done

log() { echo "[node-loss] $*" >&2; }

# One socket per client in the load generator, two in HAProxy, one in a node.
ulimit -n "$(ulimit -Hn)"
if [ $(( CLIENTS * 2 + 200 )) -gt "$(ulimit -n)" ]; then
  echo "node-loss.sh: $CLIENTS clients need more than the $(ulimit -n) open files allowed here" >&2
  exit 1
fi

# --- 1. HAProxy, from Debian ---
if ! command -v haproxy >/dev/null; then
  log "installing haproxy (apt-get)"
  apt-get install -y haproxy >&2 || { apt-get update >&2 && apt-get install -y haproxy >&2; }
fi

# --- binaries ---
flag=()
[ "$PROFILE" = release ] && flag=(--release)
if [ -z "${NODELOSS_SKIP_BUILD:-}" ]; then
  cargo build -q "${flag[@]}" -p caas-api --bin caas -p caas-loadtest
fi
CAAS=${NODELOSS_CAAS:-${CARGO_TARGET_DIR:-target}/$PROFILE/caas}
LOADTEST=${NODELOSS_LOADTEST:-${CARGO_TARGET_DIR:-target}/$PROFILE/caas-loadtest}
for b in "$CAAS" "$LOADTEST"; do
  [ -x "$b" ] || { echo "node-loss.sh: $b is missing (build it, or set NODELOSS_CAAS / NODELOSS_LOADTEST)" >&2; exit 1; }
done

# --- state and cleanup ---
work=$(mktemp -d /tmp/node-loss.XXXXXX)
db="caas_nodeloss_$$_$(date +%s)"
db_made=
declare -A pid=()
haproxy_pid=
loadtest_pid=

stop_pid() { # pid: TERM, up to 10 s, then KILL
  local p=$1
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 0
  kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  set +e
  stop_pid "$loadtest_pid"
  stop_pid "$haproxy_pid"
  for n in "${NODES[@]}"; do stop_pid "${pid[$n]:-}"; done
  if [ -n "$db_made" ]; then
    psql "$PG/postgres" -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 \
      || log "could not drop database $db"
  fi
  if [ "$rc" -ne 0 ] && [ -z "${NODELOSS_QUIET:-}" ]; then
    for f in "$work"/*.log; do
      [ -f "$f" ] || continue
      log "--- last lines of $(basename "$f") ---"
      tail -n 15 "$f" >&2
    done
  fi
  if [ -n "${NODELOSS_KEEP:-}" ]; then mkdir -p "$NODELOSS_KEEP" && cp "$work"/*.log "$work"/*.cfg "$NODELOSS_KEEP"/ 2>/dev/null; fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() { # url seconds
  local tries=$(( $2 * 10 ))
  for _ in $(seq "$tries"); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "node-loss.sh: $1 did not answer within $2 s" >&2
  return 1
}

# --- 2. database and nodes ---
psql "$PG/postgres" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db" >/dev/null
db_made=1
DB_URL="$PG/$db"

# --- 3. the app (the CLI migrates the fresh database) ---
app=$(CAAS_DATABASE_URL=$DB_URL CAAS_DATA_DIR=$work/cli CAAS_LOG=warn "$CAAS" app create --name node-loss)
key=$(echo "$app" | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
secret=$(echo "$app" | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_secret"])')

i=0
for n in "${NODES[@]}"; do
  i=$(( i + 1 ))
  mkdir -p "$work/$n"
  CAAS_DATABASE_URL=$DB_URL CAAS_REDIS_URL=$REDIS CAAS_DATA_DIR=$work/$n \
    CAAS_HTTP_ADDR=127.0.0.1:$(( PORT + i )) CAAS_RTC_UDP_ADDR=127.0.0.1:$(( PORT + 10 + i )) \
    CAAS_RATE_LIMIT_APP=0 CAAS_RATE_LIMIT_USER=0 CAAS_TRUSTED_PROXIES=127.0.0.1 \
    CAAS_LOG=${NODELOSS_LOG:-warn} "$CAAS" serve >"$work/$n.log" 2>&1 &
  pid[$n]=$!
done
i=0
for n in "${NODES[@]}"; do
  i=$(( i + 1 ))
  wait_http "http://127.0.0.1:$(( PORT + i ))/readyz" 60
done
log "nodes ready: n1=${pid[n1]} n2=${pid[n2]} n3=${pid[n3]} (database $db, $PROFILE build)"

# --- 1b. the gateway ---
hlevel=notice hlog=
if [ -n "${NODELOSS_HAPROXY_LOG:-}" ]; then hlevel=info hlog="    option httplog"; fi
cat >"$work/haproxy.cfg" <<EOF
global
    maxconn $(( CLIENTS * 2 + 1000 ))
    log stderr format short local0 $hlevel

defaults
    mode http
    log global
    option dontlognull
$hlog
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    timeout client-fin 5s
    timeout server-fin 5s
    # WebSockets, once upgraded: the nodes ping after 20 s of silence.
    timeout tunnel 1h
    # A request a dead node refused or dropped unanswered is tried again on another node.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response
    option forwardfor

frontend gateway
    bind 127.0.0.1:$PORT
    default_backend caas

backend caas
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    # A dead node refuses the check at once: down in 2 checks (~0.5 s). A busy one has 2 s to answer.
    timeout check 2s
    default-server inter 250ms fastinter 250ms downinter 500ms fall 2 rise 2 maxconn $(( CLIENTS + 500 ))
    # Names the node that answered (the load generator counts clients and drops per node).
    http-response set-header X-Caas-Node %s
    server n1 127.0.0.1:$(( PORT + 1 )) check
    server n2 127.0.0.1:$(( PORT + 2 )) check
    server n3 127.0.0.1:$(( PORT + 3 )) check
EOF
haproxy -c -q -f "$work/haproxy.cfg" >&2
haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
haproxy_pid=$!
wait_http "http://127.0.0.1:$PORT/readyz" 20
sleep 1 # let every node pass its first health checks
log "gateway on 127.0.0.1:$PORT (haproxy $(haproxy -v | head -1 | awk '{print $3}'))"

# --- 4. the load ---
started="$work/started.json"
limit=$(( SECS + DRAIN + 600 ))
log "$CLIENTS chat clients (groups of $GROUP, $RATE msg/s for $SECS s), $EDITORS editors ($EDIT_RATE edits/s each); kill -$SIGNAL $KILL_NODE at $KILL_AT s"
: >"$work/loadtest.log"
CAAS_API_KEY=$key CAAS_API_SECRET=$secret timeout "$limit" "$LOADTEST" nodeloss \
  --base "http://127.0.0.1:$PORT" --clients "$CLIENTS" --group-size "$GROUP" --rate "$RATE" \
  --duration "$SECS" --drain "$DRAIN" --collab-clients "$EDITORS" --collab-rate "$EDIT_RATE" \
  --kill-node "$KILL_NODE" --started-file "$started" --label "$MODE $PROFILE" \
  >"$work/report.json" 2>"$work/loadtest.log" &
loadtest_pid=$!
tail -n +1 -f "$work/loadtest.log" --pid "$loadtest_pid" >&2 &

# --- 5. kill -9 one node once sending has run for KILL_AT s ---
for _ in $(seq $(( 600 * 10 ))); do
  [ -f "$started" ] && break
  kill -0 "$loadtest_pid" 2>/dev/null || break
  sleep 0.1
done
killed_at=
if [ -f "$started" ]; then
  sleep "$KILL_AT"
  if kill -0 "$loadtest_pid" 2>/dev/null; then
    kill "-$SIGNAL" "${pid[$KILL_NODE]}"
    killed_at=$(date +%s.%N)
    wait "${pid[$KILL_NODE]}" 2>/dev/null || true
    pid[$KILL_NODE]=
    log "killed $KILL_NODE with SIG$SIGNAL"
  fi
fi

rc=0
wait "$loadtest_pid" || rc=$?
loadtest_pid=
if [ "$rc" -ne 0 ]; then
  echo "node-loss.sh: the load generator failed (exit $rc)" >&2
  exit 1
fi
if [ -n "$killed_at" ]; then
  down=$(grep -m1 "$KILL_NODE is DOWN" "$work/haproxy.log" || true)
  [ -n "$down" ] && log "haproxy: $down"
fi
[ -n "${NODELOSS_OUT:-}" ] && cp "$work/report.json" "$NODELOSS_OUT"
cat "$work/report.json"
python3 - "$work/report.json" "$killed_at" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["summary"]
print("[node-loss] killed: %s; dropped clients %d of %d, resumed %d; reconnect p50 %.0f ms, p99 %.0f ms, max %.0f ms;"
      " acknowledged %d, delayed > %d ms %d, lost %d, duplicated %d; collab converged %s (%s ms after editing)"
      % ("yes" if sys.argv[2] else "no", s["dropped_clients"], s["clients"], s["resumed"], s["reconnect_p50_ms"],
         s["reconnect_p99_ms"], s["reconnect_max_ms"], s["acknowledged"], s["delayed_after_ms"], s["delayed"],
         s["lost"], s["duplicated"], s["collab_converged"], s["collab_converged_after_ms"]), file=sys.stderr)
failed = [k for k, v in r["checks"].items() if v is False]
print("[node-loss] %s%s" % ("PASS" if r["passed"] else "FAIL", "" if r["passed"] else ": " + ", ".join(failed)), file=sys.stderr)
sys.exit(0 if r["passed"] and sys.argv[2] else 1)
EOF
