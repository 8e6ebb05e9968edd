#!/usr/bin/env bash
# Builds the runtime stage of deploy/Dockerfile around a caas binary built on
# this machine, runs it with podman, and checks what a user of the image relies
# on: it becomes ready, serves the admin API and an end user, runs as a non-root
# user, its HEALTHCHECK passes, and `podman stop` drains in seconds.
#
#   cargo build -p caas-api --bin caas && deploy/image-smoke.sh
#
# No container registry is reachable here, so the `FROM debian:bookworm-slim`
# base is made from Debian packages (debootstrap, cached in
# ~/.cache/caas-image) and imported under that name; the Rust build stage is
# replaced by the binary from the host (same Debian, same glibc). Images and
# containers live in a scratch store that is removed at the end. Traffic stays
# on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${CAAS_BIN:-$PWD/target/debug/caas}
port=${SMOKE_PORT:-18180}
cache=${CAAS_IMAGE_CACHE:-$HOME/.cache/caas-image}
log() { printf '[image] %s\n' "$*"; }
[ -x "$bin" ] || { log "no caas binary at $bin (cargo build -p caas-api --bin caas)"; exit 1; }

need() { command -v "$1" >/dev/null 2>&1; }
if ! need podman || ! need runc || ! need debootstrap; then
  log "installing podman, runc, debootstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >/dev/null
fi

work=$(mktemp -d)
cleanup() {
  podman rm -af -t 0 >/dev/null 2>&1 || true
  podman rmi -af >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=deploy/podman-lib.sh
source deploy/podman-lib.sh
podman_scratch "$work"
base=$(debian_base "$cache" "$work")
podman import -q "$base" debian:bookworm-slim >/dev/null

log "building the image"
start=$(date +%s)
runtime_image "$work/ctx" "$bin" caas:smoke
log "built in $(( $(date +%s) - start )) s"

log "running it"
# No systemd here: the healthcheck is run by hand below, not on a timer.
podman run -d --name caas-smoke --network host --health-interval=disable \
  -e CAAS_HTTP_ADDR="127.0.0.1:$port" -e CAAS_RTC_UDP_ADDR=127.0.0.1:0 caas:smoke >/dev/null 2>"$work/run.log" \
  || { cat "$work/run.log"; exit 1; }
url="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -fsS "$url/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "$url/readyz" >/dev/null || { podman logs caas-smoke | tail -n 20; log "not ready"; exit 1; }

uid=$(podman exec caas-smoke id -u)
[ "$uid" != 0 ] || { log "runs as root"; exit 1; }
app=$(podman exec caas-smoke caas app create --name smoke)
key=$(printf '%s' "$app" | sed -E 's/.*"api_key":"([^"]+)".*/\1/')
secret=$(printf '%s' "$app" | sed -E 's/.*"api_secret":"([^"]+)".*/\1/')
session=$(curl -sS -u "$key:$secret" -H 'content-type: application/json' -d '{"user_id":"ann"}' "$url/v1/admin/sessions")
token=$(printf '%s' "$session" | sed -nE 's/.*"token":"([^"]+)".*/\1/p')
[ -n "$token" ] || { log "no session: $session (app: $app)"; exit 1; }
# A key made by another process (the CLI) reaches the server's in-memory
# directory within a second (docs/architecture.md): ask until then.
for _ in $(seq 30); do
  me=$(curl -sS -H "authorization: Bearer $token" "$url/v1/me")
  case "$me" in *'"id":"ann"'*) break ;; esac
  sleep 0.1
done
case "$me" in *'"id":"ann"'*) ;; *) log "unexpected /v1/me: $me"; exit 1 ;; esac
podman healthcheck run caas-smoke >/dev/null || { log "HEALTHCHECK failed"; exit 1; }

start=$(date +%s%N)
podman stop -t 10 caas-smoke >/dev/null 2>>"$work/run.log"
stop_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$stop_ms" -lt 5000 ] || { log "stop took $stop_ms ms (SIGTERM not handled?)"; exit 1; }
code=$(podman inspect -f '{{.State.ExitCode}}' caas-smoke)
[ "$code" = 0 ] || { podman logs caas-smoke | tail -n 20; log "exit code $code after SIGTERM"; exit 1; }
log "ok: ready, admin API and /v1/me through the image, uid $uid, healthcheck passes, stop in $stop_ms ms, exit 0"
