#!/usr/bin/env bash
# Sessions created per second on SQLite and on PostgreSQL, in one run.
# Starts a release `caas` on 127.0.0.1 for each database, creates an app, runs
# `caas-loadtest sessions`, records server CPU and peak memory, and stops it.
# Usage: loadtest/sessions.sh [seconds] [concurrency]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
CONC=${2:-32}
PG=${CAAS_BENCH_PG:-postgres://postgres@127.0.0.1:5432/test}
cargo build --release -q -p caas-api -p caas-loadtest
BIN=${CARGO_TARGET_DIR:-target}/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() { # label database-url port
  local label=$1 url=$2 port=$3
  local app key secret pid
  app=$(CAAS_DATABASE_URL=$url CAAS_DATA_DIR=$work "$BIN/caas" app create --name bench)
  key=$(echo "$app" | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
  secret=$(echo "$app" | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_secret"])')
  CAAS_DATABASE_URL=$url CAAS_DATA_DIR=$work CAAS_HTTP_ADDR=127.0.0.1:$port CAAS_RATE_LIMIT_APP=0 CAAS_MAX_CONNECTIONS_PER_IP=0 \
    CAAS_LOG=warn "$BIN/caas" serve &
  pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  local t0; t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  "$BIN/caas-loadtest" sessions --base "http://127.0.0.1:$port" --api-key "$key" --api-secret "$secret" \
    --concurrency "$CONC" --duration "$SECS" --label "$label"
  local t1; t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
  local hz; hz=$(getconf CLK_TCK)
  echo "{\"label\":\"$label\",\"server_cpu_seconds\":$(python3 -c "print(round(($t1-$t0)/$hz,2))"),\"server_peak_rss_kib\":$(awk '/VmHWM/{print $2}' "/proc/$pid/status")}"
  kill -TERM "$pid"; wait "$pid" || true
}

run sqlite "sqlite://$work/caas.db" 18080
schema=caas_bench_$$
psql "$PG" -qc "CREATE SCHEMA $schema"
run postgres "$PG?options[search_path]=$schema" 18081
psql "$PG" -qc "DROP SCHEMA $schema CASCADE"
