#!/usr/bin/env bash
# The SFU load of loadtest/sfu.sh, through Janus' VideoRoom for comparison.
#
# Installs Debian's `janus` if it is missing, writes a minimal configuration
# into a temp dir (only the VideoRoom plugin and the HTTP transport, HTTP API on
# 127.0.0.1, no STUN/TURN/NAT mapping), starts Janus, runs
# `caas-loadtest sfu --target janus` (the same str0m clients and media as
# sfu.sh, signaled over Janus' HTTP API) and stops Janus. With SFU_OUT set and a
# caas.json there (from sfu.sh), prints CAAS against Janus.
#
# Janus cannot carry media over loopback: libnice gathers no candidate on a
# loopback interface, and a 127.x address on any other interface fails to send
# (libnice pins the socket to its interface with IP_UNICAST_IF, and Linux refuses
# a loopback source on a non-loopback device). So Janus and the load generator
# run in a private network namespace (`unshare -n`) that has only its own
# loopback and a veth pair carrying 198.18.0.1 (Janus) and 198.18.0.2 (the
# clients), from the benchmarking range; the namespace has no route out, so no
# packet leaves it. The HTTP API stays on 127.0.0.1 inside the namespace.
#
# Usage: loadtest/janus.sh [rooms] [publishers-per-room] [subscribers-per-room] [seconds]
# Environment:
#   SFU_OUT     a folder to keep the JSON report in (as janus.json)
#   SFU_EXTRA   extra flags for caas-loadtest sfu
#   SFU_SKIP_BUILD   set: use the release binary already in target/
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=18188
JANUS_IP=198.18.0.1
CLIENT_IP=198.18.0.2
BIN=${CARGO_TARGET_DIR:-target}/release

# Inside the namespace: the veth pair, Janus, the load run.
if [ "${1:-}" = --in-netns ]; then
  work=$2 ROOMS=$3 PUBS=$4 SUBS=$5 SECS=$6
  ip link set lo up
  ip link add lt0 type veth peer name lt1
  ip addr add "$JANUS_IP/24" dev lt0
  ip addr add "$CLIENT_IP/24" dev lt1
  ip link set lt0 up
  ip link set lt1 up
  # Janus sends out of lt0 (IP_UNICAST_IF) to an address that is local to the
  # namespace: lt1 must accept a local source address.
  for dev in all default lt0 lt1; do
    sysctl -qw "net.ipv4.conf.$dev.accept_local=1" "net.ipv4.conf.$dev.rp_filter=0"
  done
  janus -C "$work/janus.jcfg" -F "$work" -o >"$work/janus.log" 2>&1 &
  server=$!
  stop_janus() {
    kill -TERM "$server" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server" 2>/dev/null || true
  }
  trap stop_janus EXIT
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/janus/info" >"$work/info.json" && break; sleep 0.1; done
  if ! [ -s "$work/info.json" ]; then
    echo "janus.sh: Janus did not answer; its log:" >&2
    tail -30 "$work/janus.log" >&2
    exit 1
  fi
  version=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("version_string","?"))' "$work/info.json")
  # shellcheck disable=SC2206
  extra=(${SFU_EXTRA:-})
  echo "== Janus $version VideoRoom: $ROOMS rooms x ($PUBS publishers + $SUBS subscribers), $SECS s" >&2
  status=0
  # Bounded: setup (at most 3 x 90 s), the window, drain and leaving.
  timeout $(( SECS + 400 )) "$BIN/caas-loadtest" sfu --target janus --base "http://127.0.0.1:$PORT/janus" \
    --local-ip "$CLIENT_IP" --server-pid "$server" --rooms "$ROOMS" --publishers "$PUBS" --subscribers "$SUBS" \
    --duration "$SECS" --label "janus $version" "${extra[@]}" >"$work/janus.json" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "janus.sh: the load run failed ($status); the end of Janus' log:" >&2
    tail -30 "$work/janus.log" >&2
  fi
  exit "$status"
fi

ROOMS=${1:-4}
PUBS=${2:-1}
SUBS=${3:-4}
SECS=${4:-20}
if ! command -v janus >/dev/null; then
  apt-get install -y -q janus >/dev/null || { apt-get update -q && apt-get install -y -q janus >/dev/null; }
fi
lib=$(dirname "$(dirname "$(dpkg -L janus | grep '/plugins/libjanus_videoroom.so$' | head -1)")")
ulimit -n "$(ulimit -Hn)"
[ -n "${SFU_SKIP_BUILD:-}" ] || cargo build --release -q -p caas-loadtest

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Only the two modules the run needs.
mkdir -p "$work/plugins" "$work/transports" "$work/events" "$work/loggers"
ln -s "$lib/plugins/libjanus_videoroom.so" "$work/plugins/"
ln -s "$lib/transports/libjanus_http.so" "$work/transports/"
cat >"$work/janus.jcfg" <<EOF
general: {
	configs_folder = "$work"
	plugins_folder = "$work/plugins"
	transports_folder = "$work/transports"
	events_folder = "$work/events"
	loggers_folder = "$work/loggers"
	debug_level = 3
	session_timeout = 60
	server_name = "caas-loadtest"
}
certificates: {
}
media: {
	rtp_port_range = "30000-39999"
}
nat: {
	nice_debug = false
	ice_enforce_list = "$JANUS_IP"
	ignore_mdns = true
}
plugins: {
}
transports: {
}
events: {
}
loggers: {
}
EOF
cat >"$work/janus.transport.http.jcfg" <<EOF
general: {
	json = "compact"
	base_path = "/janus"
	http = true
	port = $PORT
	ip = "127.0.0.1"
	https = false
}
admin: {
	admin_http = false
	admin_https = false
}
cors: {
}
EOF
cat >"$work/janus.plugin.videoroom.jcfg" <<EOF
general: {
}
EOF

unshare -n "$0" --in-netns "$work" "$ROOMS" "$PUBS" "$SUBS" "$SECS"
cat "$work/janus.json"
if [ -n "${SFU_OUT:-}" ]; then
  mkdir -p "$SFU_OUT"
  cp "$work/janus.json" "$SFU_OUT/janus.json"
  if [ -f "$SFU_OUT/caas.json" ]; then
    python3 - "$SFU_OUT/caas.json" "$SFU_OUT/janus.json" <<'PY'
import json, sys
c, j = (json.load(open(p)) for p in sys.argv[1:3])
rows = [
    ("forwarded packets/s", "forwarded_packets_per_sec", "{:.0f}"),
    ("forwarded frames/s", "forwarded_frames_per_sec", "{:.0f}"),
    ("payload Mbit/s", "forwarded_mbit_per_sec", "{:.2f}"),
    ("client UDP datagrams in/s", "client_datagrams_in_per_sec", "{:.0f}"),
    ("client UDP datagrams out/s", "client_datagrams_out_per_sec", "{:.0f}"),
    ("loss %", "loss_pct", "{:.3f}"),
    ("latency p50 (ms)", "p50_ms", "{:.2f}"),
    ("latency p99 (ms)", "p99_ms", "{:.2f}"),
    ("latency max (ms)", "max_ms", "{:.2f}"),
    ("server CPU (% of a core)", "server_cpu_pct_of_core", "{:.1f}"),
    ("CPU µs per forwarded packet", "cpu_us_per_forwarded_packet", "{:.2f}"),
    ("packets per core-second", "forwarded_packets_per_core_sec", "{:.0f}"),
    ("server peak RSS (MiB)", "server_peak_rss_kib", None),
    ("load generator CPU (s)", "client_cpu_seconds", "{:.1f}"),
]
print("\n%-30s%14s%14s" % ("", "CAAS", "Janus"), file=sys.stderr)
for label, key, fmt in rows:
    cells = []
    for r in (c, j):
        v = r.get(key)
        cells.append("-" if v is None else ("%.0f" % (v / 1024) if fmt is None else fmt.format(v)))
    print("%-30s%14s%14s" % (label, *cells), file=sys.stderr)
a, b = c.get("cpu_us_per_forwarded_packet"), j.get("cpu_us_per_forwarded_packet")
if a and b:
    print("CPU per forwarded packet, CAAS / Janus: %.2f" % (a / b), file=sys.stderr)
PY
  fi
fi
