#!/usr/bin/env bash
# Brings up the compose cluster (deploy/compose.yaml: two caas nodes behind the
# HAProxy gateway, PostgreSQL, Redis, an S3 store, coturn, Prometheus) with
# podman-compose on this machine, tests it through the gateway only, and tears
# everything down again:
#
#   cargo build -p caas-api --bin caas && deploy/compose-smoke.sh
#
# Through the gateway: an app's admin API issues sessions; two WebSockets land
# on different nodes (the `x-caas-node` header) and a message crosses between
# them; a file is uploaded, attached and downloaded from the other node (and
# found in the S3 bucket); a collaborative doc edited from both nodes converges
# and is stored; both users join one call and get TURN credentials that coturn
# accepts. Then: Prometheus scrapes both nodes, health checks pass, /metrics is
# not public, and the gateway keeps serving when a node stops.
#
# No container registry is reachable here, so deploy/compose/local.yaml swaps
# the third-party images for stand-ins built from Debian packages on a
# debootstrapped base (the base and the built stand-ins are cached in
# ~/.cache/caas-image, with deploy/image-smoke.sh's base). Grafana has no Debian
# package and is not started. The caas image is deploy/Dockerfile's runtime
# stage around the host's binary. Images, containers, volumes and the network
# live in a scratch podman store that is removed at the end. Published ports are
# on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${CAAS_BIN:-$PWD/target/debug/caas}
cache=${CAAS_IMAGE_CACHE:-$HOME/.cache/caas-image}
gw_port=${SMOKE_GATEWAY_PORT:-18480}
rtc1=${SMOKE_RTC_PORT_1:-17882}
rtc2=${SMOKE_RTC_PORT_2:-17883}
turn_port=${SMOKE_TURN_PORT:-13478}
prom_port=${SMOKE_PROMETHEUS_PORT:-19090}
project=caas-smoke
log() { printf '[compose] %s\n' "$*"; }
t_start=$(date +%s)
declare -A took
since() { echo $(( $(date +%s) - $1 )); }
[ -x "$bin" ] || { log "no caas binary at $bin (cargo build -p caas-api --bin caas)"; exit 1; }

need() { command -v "$1" >/dev/null 2>&1; }
if ! need podman || ! need runc || ! need debootstrap; then
  log "installing podman, runc, debootstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >/dev/null
fi
for p in "$gw_port" "$turn_port" "$prom_port"; do
  [ -z "$(ss -Hltn "sport = :$p")" ] || { log "port $p/tcp is taken on this host"; exit 1; }
done
for p in "$rtc1" "$rtc2" "$turn_port" $(seq 49160 49199); do
  [ -z "$(ss -Hlun "sport = :$p")" ] || { log "port $p/udp is taken on this host"; exit 1; }
done

# One run at a time: the compose network's subnet is fixed.
mkdir -p "$cache"
exec 9>"$cache/compose-smoke.lock"
flock -n 9 || { log "another compose smoke is running"; exit 1; }

work=$(mktemp -d)
# The binary is copied first: a concurrent cargo build may relink it meanwhile.
mkdir -p "$work/caas-ctx"
cp "$bin" "$work/caas-ctx/caas"
ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)
pc() { "$venv/bin/podman-compose" -p "$project" --env-file "$work/compose.env" \
  -f deploy/compose.yaml -f deploy/compose/local.yaml "$@"; }
cleanup() {
  local rc=$?
  set +e
  if [ "$rc" != 0 ] && [ -n "${venv:-}" ] && [ -s "$work/compose.env" ]; then
    for c in $(podman ps -a --format '{{.Names}}' 2>/dev/null); do
      echo "--- $c ($(podman inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$c" 2>/dev/null))"
      podman logs --tail 15 "$c" 2>&1 | cut -c1-300
    done
  fi
  local t
  t=$(date +%s)
  # Everything in the scratch store belongs to this run: stop and remove all of
  # it at once (quicker than `podman-compose down`, which goes one by one).
  podman rm -af -t 3 >/dev/null 2>&1
  podman network ls -q 2>/dev/null | grep -vx podman | xargs -r podman network rm -f >/dev/null 2>&1
  podman volume rm -af >/dev/null 2>&1
  podman rmi -af >/dev/null 2>&1
  # netavark turns IPv4 forwarding on for bridge networks; put it back.
  echo "$ip_forward" >/proc/sys/net/ipv4/ip_forward 2>/dev/null
  rm -rf "$work"
  [ "$rc" != 0 ] || log "torn down in $(since "$t") s"
}
trap cleanup EXIT

# shellcheck source=deploy/podman-lib.sh
source deploy/podman-lib.sh
podman_scratch "$work"

# podman-compose and the test client's libraries, in a venv kept in the cache.
venv_dir="$cache/compose-venv"
pins="podman-compose==1.6.0 websockets==17.4 pycrdt==0.14.13"
mkdir -p "$cache"
if [ "$(cat "$venv_dir/.pins" 2>/dev/null)" != "$pins" ]; then
  log "installing $pins (venv in $venv_dir)"
  rm -rf "$venv_dir"
  python3 -m venv "$venv_dir"
  # shellcheck disable=SC2086
  "$venv_dir/bin/pip" install -q $pins
  echo "$pins" >"$venv_dir/.pins"
fi
venv=$venv_dir

# The base image, from Debian packages (shared with deploy/image-smoke.sh).
t=$(date +%s)
base=$(debian_base "$cache" "$work")
podman import -q "$base" debian:bookworm-slim >/dev/null

# Stand-ins for the third-party images (deploy/compose/local.yaml), cached as
# one archive keyed by their sources.
standins=(postgres redis haproxy coturn prometheus minio)
moto="moto[server]==5.1.22"
key=$( { (cd deploy/compose/standins && find . -type f -print0 | sort -z | xargs -0 sha256sum)
         echo "$moto"; stat -c '%s %Y' "$base"; } | sha256sum | cut -c1-16)
archive="$cache/compose-standins-$key.tar"
if [ -s "$archive" ]; then
  podman load -q -i "$archive" >/dev/null
  log "stand-in images loaded from the cache in $(since "$t") s"
else
  wheels="$cache/moto-wheels"
  if [ "$(cat "$wheels/.pin" 2>/dev/null)" != "$moto" ]; then
    log "downloading $moto wheels for Debian 12's Python 3.11"
    rm -rf "$wheels"
    arch=$(uname -m)
    "$venv/bin/pip" download -q -d "$wheels" --only-binary=:all: --python-version 3.11 \
      --implementation cp --abi cp311 --abi abi3 --abi none \
      --platform "manylinux_2_34_$arch" --platform "manylinux_2_28_$arch" \
      --platform "manylinux_2_17_$arch" --platform "manylinux2014_$arch" \
      --platform "manylinux_2_5_$arch" --platform "manylinux1_$arch" --platform any "$moto"
    echo "$moto" >"$wheels/.pin"
  fi
  cp -r deploy/compose/standins "$work/standins"
  cp -r "$wheels" "$work/standins/minio/wheels"
  for s in "${standins[@]}"; do
    log "building the $s stand-in"
    podman build -q --pull=never --format docker -t "localhost/caas-standin-$s:local" \
      "$work/standins/$s" >/dev/null 2>"$work/build-$s.log" || { tail -n 30 "$work/build-$s.log"; exit 1; }
  done
  rm -f "$cache"/compose-standins-*
  images=()
  for s in "${standins[@]}"; do images+=("localhost/caas-standin-$s:local"); done
  podman save -q -m -o "$archive.part" "${images[@]}" \
    && mv "$archive.part" "$archive"
  log "stand-in images built in $(since "$t") s (cached in $archive)"
fi
took[images_standins]=$(since "$t")

# The caas image: deploy/Dockerfile's runtime stage around the host's binary.
t=$(date +%s)
runtime_image "$work/caas-ctx" "$bin" caas:latest
took[image_caas]=$(since "$t")
log "caas image built in ${took[image_caas]} s"

# Secrets from the helper users run, then this run's ports (all on 127.0.0.1).
deploy/compose/make-env.sh "$work/compose.env" >/dev/null
sed -i -e "s/^CAAS_GATEWAY_PORT=.*/CAAS_GATEWAY_PORT=$gw_port/" \
  -e "s/^CAAS_RTC_PORT_1=.*/CAAS_RTC_PORT_1=$rtc1/" -e "s/^CAAS_RTC_PORT_2=.*/CAAS_RTC_PORT_2=$rtc2/" \
  -e "s/^CAAS_TURN_PORT=.*/CAAS_TURN_PORT=$turn_port/" \
  -e "s/^CAAS_PROMETHEUS_PORT=.*/CAAS_PROMETHEUS_PORT=$prom_port/" "$work/compose.env"
# shellcheck disable=SC1091
. "$work/compose.env"

# Up, in dependency order: podman 4.3 ignores `depends_on` conditions and its
# health checks have no timer here (deploy/compose/local.yaml), so the waiting is
# done here, with the services' own health check commands.
t=$(date +%s)
cname() { echo "${project}_$1_1"; }
wait_for() {  # wait_for WHAT SECONDS COMMAND...
  local what=$1 n=$(( $2 * 5 )); shift 2
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  log "$what not ready"; return 1
}
pc up -d --no-build --no-deps postgres redis blob coturn >"$work/up.log" 2>&1 || { cat "$work/up.log"; exit 1; }
pc up -d --no-build --no-deps blob-init >>"$work/up.log" 2>&1 || { cat "$work/up.log"; exit 1; }
wait_for postgres 60 podman healthcheck run "$(cname postgres)"
wait_for redis 30 podman healthcheck run "$(cname redis)"
bucket_made() { [ "$(podman inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$(cname blob-init)")" = "exited 0" ]; }
wait_for "the bucket (blob-init)" 60 bucket_made
pc up -d --no-build --no-deps caas-1 caas-2 gateway prometheus >>"$work/up.log" 2>&1 || { cat "$work/up.log"; exit 1; }
gw="http://127.0.0.1:$gw_port"
both_nodes() {
  local seen=""
  for _ in 1 2 3 4; do
    seen+=" $(curl -fsS -D - -o /dev/null "$gw/readyz" | tr -d '\r' | sed -n 's/^x-caas-node: //Ip')"
  done
  case "$seen" in *caas-1*) ;; *) return 1 ;; esac
  case "$seen" in *caas-2*) ;; *) return 1 ;; esac
}
wait_for "the gateway with both nodes" 90 both_nodes
took[up]=$(since "$t")
log "cluster up in ${took[up]} s: gateway $gw serves caas-1 and caas-2"
for s in caas-1 caas-2 postgres redis; do
  podman healthcheck run "$(cname "$s")" >/dev/null || { log "health check of $s fails"; exit 1; }
done
log "ok: health checks of caas-1, caas-2, postgres and redis pass"

# The test, through the gateway. Admin calls from this host reach the gateway
# from the network's gateway address (published ports are NATed), so the app
# allows that address.
t=$(date +%s)
net_gw=$(podman network inspect "${project}_caas" --format '{{range .Subnets}}{{.Gateway}}{{end}}')
app=$(podman exec "$(cname caas-1)" caas app create --name smoke --allow-ip "$net_gw/32")
key=$(printf '%s' "$app" | sed -nE 's/.*"api_key":"([^"]+)".*/\1/p')
secret=$(printf '%s' "$app" | sed -nE 's/.*"api_secret":"([^"]+)".*/\1/p')
app_id=$(printf '%s' "$app" | sed -nE 's/.*"app_id":"([^"]+)".*/\1/p')
if [ -z "$key" ] || [ -z "$secret" ]; then log "caas app create printed: $app"; exit 1; fi
GATEWAY=$gw API_KEY=$key API_SECRET=$secret TURN_SECRET=$CAAS_TURN_SECRET TURN_ADDR="127.0.0.1:$turn_port" \
  "$venv/bin/python" deploy/compose/smoke.py | tee "$work/client.log" | grep -v -E '^(FILE|TIMINGS) '
[ "${PIPESTATUS[0]}" = 0 ] || exit 1
file_id=$(sed -n 's/^FILE //p' "$work/client.log")
client_timings=$(sed -n 's/^TIMINGS //p' "$work/client.log")

# The file is in the S3 bucket under {app_id}/{file_id}.
objects=$(podman exec -e AK="$MINIO_ROOT_USER" -e SK="$MINIO_ROOT_PASSWORD" "$(cname blob)" python3 -c '
import os, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:9000", aws_access_key_id=os.environ["AK"],
                  aws_secret_access_key=os.environ["SK"], region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}))
for o in s3.list_objects_v2(Bucket="caas-files").get("Contents", []): print(o["Key"])')
printf '%s\n' "$objects" | grep -qx "$app_id/$file_id" || { log "object $app_id/$file_id not in the bucket: $objects"; exit 1; }
log "ok: the bucket holds $app_id/$file_id"

# Monitoring: Prometheus scrapes both nodes; the gateway does not expose /metrics.
targets_up() {
  curl -fsS "http://127.0.0.1:$prom_port/api/v1/targets" | "$venv/bin/python" -c '
import json, sys
t = json.load(sys.stdin)["data"]["activeTargets"]
up = sorted(x["labels"]["instance"] for x in t if x["health"] == "up")
sys.exit(0 if up == ["caas-1:8080", "caas-2:8080"] else 1)'
}
wait_for "Prometheus scraping both nodes" 40 targets_up
code=$(curl -s -o /dev/null -w '%{http_code}' "$gw/metrics")
[ "$code" = 404 ] || { log "the gateway serves /metrics ($code)"; exit 1; }
log "ok: Prometheus scrapes caas-1:8080 and caas-2:8080; the gateway answers /metrics with 404"

# A node stops: the gateway keeps answering from the other one.
podman stop -t 10 "$(cname caas-2)" >/dev/null
for _ in 1 2 3 4 5 6; do
  node=$(curl -fsS -D - -o /dev/null "$gw/readyz" | tr -d '\r' | sed -n 's/^x-caas-node: //Ip') \
    || { log "gateway failed a request with caas-2 stopped"; exit 1; }
  [ "$node" = caas-1 ] || { log "request served by $node with caas-2 stopped"; exit 1; }
done
log "ok: with caas-2 stopped, 6 of 6 requests through the gateway answered by caas-1"
took[test]=$(since "$t")

log "ok: compose cluster through the gateway: sessions, chat across nodes, S3 files, collab across nodes, call join + TURN"
log "timings (s): stand-in images ${took[images_standins]}, caas image ${took[image_caas]}, up ${took[up]}, tests ${took[test]}, total $(since "$t_start") before teardown; client $client_timings"
