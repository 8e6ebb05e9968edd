#!/usr/bin/env bash
# Runs the caas image the way 30-deployment.yaml runs it, with podman and
# without Kubernetes:
#   - the securityContext: user and group, all capabilities dropped,
#     no-new-privileges, read-only root filesystem;
#   - the pod's volumeMounts as world-writable folders, like emptyDirs, and
#     no volume for the image's VOLUME line (Kubernetes ignores it);
#   - the ConfigMap's settings as environment.
# Each of these is read from the manifests, not copied here. It then checks:
#   - the startup, readiness and liveness probe paths answer;
#   - the process has no capabilities and cannot write its root filesystem;
#   - the preStop command runs;
#   - `caas app create` works through exec (README.md);
#   - a session, /v1/me and the TURN URLs of the ConfigMap are served;
#   - a stop within terminationGracePeriodSeconds drains in seconds, exit 0.
#
# What differs from a cluster: the network is the host's loopback (listeners
# moved to 127.0.0.1, CAAS_RTC_PUBLIC_IP=127.0.0.1 in place of status.hostIP).
# There is no PostgreSQL, Redis or S3, so the Secret and CAAS_BLOB_URL are
# left out and caas uses SQLite and files in the data folder.
#
#   cargo build -p caas-api --bin caas && deploy/image-smoke.sh   # once: makes the base image
#   deploy/k8s/pod-smoke.sh
#
# Like deploy/image-smoke.sh (whose cached base image it reuses), it builds
# stage 2 of deploy/Dockerfile around the host's binary (CAAS_BIN, default
# target/debug/caas). Images and containers live in a scratch store that is
# removed at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=${CAAS_BIN:-$PWD/target/debug/caas}
base=${CAAS_IMAGE_CACHE:-$HOME/.cache/caas-image}/bookworm-minbase.tar
# Free loopback ports, unless given (other programs on this machine use fixed ones).
free_port() { python3 -c 'import socket,sys; s=socket.socket(type=getattr(socket, sys.argv[1])); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"; }
port=${SMOKE_PORT:-$(free_port SOCK_STREAM)}
udp=${SMOKE_UDP_PORT:-$(free_port SOCK_DGRAM)}
log() { printf '[k8s-pod] %s\n' "$*"; }
die() {
  log "FAIL: $*" >&2
  exit 1
}
[[ -x $bin ]] || die "no caas binary at $bin (cargo build -p caas-api --bin caas)"
[[ -s $base ]] || die "no base image at $base: run deploy/image-smoke.sh once, it makes it"
if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
  die "podman and runc are needed (deploy/image-smoke.sh installs them)"
fi

# validate.sh first: the manifests must be valid, and its venv has PyYAML.
deploy/k8s/validate.sh >/dev/null
py="${XDG_CACHE_HOME:-$HOME/.cache}/caas-k8s-venv/bin/python"

work=$(mktemp -d)
cleanup() {
  podman rm -af -t 0 >/dev/null 2>&1 || true
  podman rmi -af >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# What the manifests say, as shell assignments (values quoted for the shell).
"$py" - "$port" "$udp" >"$work/pod.sh" <<'PY'
import shlex, sys
import yaml

port, udp = sys.argv[1], sys.argv[2]
load = lambda p: next(d for d in yaml.safe_load_all(open(p)) if d)
cm = load("deploy/k8s/10-configmap.yaml")["data"]
pod = load("deploy/k8s/30-deployment.yaml")["spec"]["template"]["spec"]
c = next(c for c in pod["containers"] if c["name"] == "caas")
sc = {**pod.get("securityContext", {}), **c.get("securityContext", {})}

flags = ["--user", f"{sc['runAsUser']}:{sc.get('runAsGroup', sc['runAsUser'])}"]
if sc.get("readOnlyRootFilesystem"):
    flags += ["--read-only", "--read-only-tmpfs=false"]
flags += [f"--cap-drop={cap}" for cap in sc.get("capabilities", {}).get("drop", [])]
flags += [f"--cap-add={cap}" for cap in sc.get("capabilities", {}).get("add", [])]
if sc.get("allowPrivilegeEscalation") is False:
    flags += ["--security-opt=no-new-privileges"]
emptydirs = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
mounts = [m["mountPath"] for m in c.get("volumeMounts", []) if m["name"] in emptydirs]

env = dict(cm)
env.pop("CAAS_BLOB_URL", None)  # no S3 here: files go to the data folder
env["CAAS_HTTP_ADDR"] = f"127.0.0.1:{port}"
env["CAAS_RTC_UDP_ADDR"] = f"127.0.0.1:{udp}"
env["CAAS_RTC_PUBLIC_IP"] = "127.0.0.1"  # what status.hostIP is on this host
env["CAAS_TURN_SECRET"] = "pod-smoke-secret"
for k, v in env.items():
    flags += ["-e", f"{k}={v}"]

out = {
    "flags": flags,
    "mounts": mounts,
    "cmd": c.get("args", []),
    "startup_path": c["startupProbe"]["httpGet"]["path"],
    "startup_tries": str(c["startupProbe"].get("failureThreshold", 3) * c["startupProbe"].get("periodSeconds", 10) * 10),
    "ready_path": c["readinessProbe"]["httpGet"]["path"],
    "live_path": c["livenessProbe"]["httpGet"]["path"],
    "prestop": c["lifecycle"]["preStop"]["exec"]["command"],
    "grace": str(pod.get("terminationGracePeriodSeconds", 30)),
    "uid": str(sc["runAsUser"]),
    "turn_urls": cm.get("CAAS_TURN_URLS", ""),
}
for k, v in out.items():
    print(f"{k}=(" + " ".join(shlex.quote(x) for x in v) + ")" if isinstance(v, list) else f"{k}={shlex.quote(v)}")
PY
flags=() mounts=() cmd=() prestop=()
startup_path='' startup_tries='' ready_path='' live_path='' grace='' uid='' turn_urls=''
# shellcheck disable=SC1091
source "$work/pod.sh"

# podman in this machine's limits, in a scratch store (deploy/podman-lib.sh).
# shellcheck source=deploy/podman-lib.sh
source deploy/podman-lib.sh
podman_scratch "$work"
podman import -q "$base" debian:bookworm-slim >/dev/null
runtime_image "$work/ctx" "$bin" caas:pod || die "image build"

# emptyDirs: Kubernetes makes them world-writable folders (podman's --tmpfs
# would be root's 0755 here, which no emptyDir is).
vols=()
for m in "${mounts[@]}"; do
  d="$work/emptydir$(tr / _ <<<"$m")"
  mkdir -p "$d" && chmod 0777 "$d"
  vols+=(-v "$d:$m")
done

# --image-volume=ignore: Kubernetes ignores the image's VOLUME lines, so
# /var/lib/caas is writable there only through the pod's own volume.
podman run -d --name caas-pod --network host --health-interval=disable --image-volume=ignore \
  "${flags[@]}" "${vols[@]}" caas:pod "${cmd[@]}" >/dev/null 2>"$work/run.log" \
  || { cat "$work/run.log"; die "podman run"; }
url="http://127.0.0.1:$port"
for _ in $(seq "$startup_tries"); do
  curl -fsS "$url$startup_path" >/dev/null 2>&1 && break
  [[ $(podman inspect -f '{{.State.Running}}' caas-pod) == true ]] || break
  sleep 0.1
done
curl -fsS "$url$startup_path" >/dev/null || { podman logs caas-pod 2>&1 | tail -n 20; die "startup probe $startup_path never answered"; }
curl -fsS "$url$ready_path" >/dev/null || die "readiness probe $ready_path"
curl -fsS "$url$live_path" >/dev/null || die "liveness probe $live_path"

status=$(podman exec caas-pod cat /proc/1/status)
[[ $(awk '/^Uid:/ {print $2}' <<<"$status") == "$uid" ]] || die "process is not uid $uid"
# A non-root process has no effective capabilities anyway; the bounding set
# shows what drop: [ALL] removed.
grep -q '^CapEff:[[:space:]]*0000000000000000$' <<<"$status" || die "process has capabilities: $(grep ^Cap <<<"$status")"
grep -q '^CapBnd:[[:space:]]*0000000000000000$' <<<"$status" || die "capabilities not all dropped: $(grep ^CapBnd <<<"$status")"
grep -q '^NoNewPrivs:[[:space:]]*1$' <<<"$status" || die "no_new_privs is not set"
if podman exec caas-pod touch /usr/local/bin/x 2>/dev/null; then die "the root filesystem is writable"; fi

podman exec caas-pod "${prestop[@]}" || die "preStop command ${prestop[*]} failed"
app=$(podman exec caas-pod caas app create --name pod-smoke) || die "caas app create through exec"
key=$(sed -E 's/.*"api_key":"([^"]+)".*/\1/' <<<"$app")
secret=$(sed -E 's/.*"api_secret":"([^"]+)".*/\1/' <<<"$app")
session=$(curl -sS -u "$key:$secret" -H 'content-type: application/json' -d '{"user_id":"ann"}' "$url/v1/admin/sessions")
token=$(sed -nE 's/.*"token":"([^"]+)".*/\1/p' <<<"$session")
[[ -n $token ]] || die "no session: $session"
# A key made by the CLI reaches the server's directory within a second.
me=
for _ in $(seq 30); do
  me=$(curl -sS -H "authorization: Bearer $token" "$url/v1/me")
  [[ $me == *'"id":"ann"'* ]] && break
  sleep 0.1
done
[[ $me == *'"id":"ann"'* ]] || die "unexpected /v1/me: $me"
ice=$(curl -fsS -H "authorization: Bearer $token" "$url/v1/calls/ice-servers")
first_turn=${turn_urls%%,*}
[[ -z $first_turn || $ice == *"\"$first_turn\""*'"credential"'* ]] || die "ICE servers lack the ConfigMap's TURN URLs: $ice"

start=$(date +%s%N)
podman stop -t "$grace" caas-pod >/dev/null 2>>"$work/run.log"
stop_ms=$((($(date +%s%N) - start) / 1000000))
code=$(podman inspect -f '{{.State.ExitCode}}' caas-pod)
[[ $code == 0 ]] || { podman logs caas-pod 2>&1 | tail -n 20; die "exit code $code after SIGTERM"; }
((stop_ms < 5000)) || die "stop took $stop_ms ms"
log "ok: image under the pod's securityContext (uid $uid, no capabilities, no_new_privs, read-only root," \
  "emptyDirs ${mounts[*]}) with the ConfigMap's settings: probes answer, preStop runs, app create by exec," \
  "session and TURN credentials served, SIGTERM drain in $stop_ms ms with exit 0"
