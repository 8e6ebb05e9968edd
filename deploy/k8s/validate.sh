#!/usr/bin/env bash
# Checks the Kubernetes manifests of deploy/k8s/ without a cluster:
#   1. schemas: every manifest (deploy/k8s/*.yaml and deploy/k8s/optional/*.yaml)
#      against the Kubernetes OpenAPI schemas with kubernetes-validate --strict
#      (an unknown or misspelt field fails; so does a kind it has no schema for),
#      for the newest Kubernetes the package ships and an older one;
#   2. settings: every CAAS_* name in them, and in deploy/k8s/README.md, is
#      declared in api/src/config.rs (`env = "CAAS_..."`);
#   3. cross-checks: what must agree between files does (namespace, the ports
#      in CAAS_HTTP_ADDR / CAAS_RTC_UDP_ADDR and the container's ports, the
#      grace period against the drain, the Ingress body size against
#      CAAS_MAX_FILE_BYTES, CAAS_RTC_WORKERS against the CPU limit, selectors);
#   4. that each of those checks can fail: a copy of the Deployment with a
#      misspelt field, a ConfigMap with an undeclared CAAS_ name and a
#      Deployment whose host port disagrees with CAAS_RTC_UDP_ADDR, written
#      to a temporary folder, must all be rejected.
# Prints one `[k8s] ok: ...` line on success; exits non-zero with `[k8s] FAIL:`
# otherwise. It never talks to a cluster.
#
# The first run installs kubernetes-validate from PyPI into a venv under
# ${XDG_CACHE_HOME:-$HOME/.cache}/caas-k8s-venv (about 120 MB, mostly schemas);
# later runs take a few seconds.
#
#   deploy/k8s/validate.sh            (from any folder)
set -euo pipefail
cd "$(dirname "$0")/../.."

KV_VERSION=1.37.0              # kubernetes-validate on PyPI
K8S_VERSIONS=(1.37.0 1.31.0)   # schema sets it ships: the newest, and an older one
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/caas-k8s-venv"
KV="$VENV/bin/kubernetes-validate"
PY="$VENV/bin/python"

fail() {
  echo "[k8s] FAIL: $*" >&2
  exit 1
}

if [[ ! -x $KV ]] || [[ "$("$KV" --version 2>/dev/null || true)" != "$KV_VERSION" ]]; then
  echo "[k8s] installing kubernetes-validate $KV_VERSION into $VENV" >&2
  python3 -m venv "$VENV" || fail "cannot make a venv in $VENV (python3 -m venv)"
  "$VENV/bin/pip" install -q --disable-pip-version-check "kubernetes-validate==$KV_VERSION" \
    || fail "cannot install kubernetes-validate $KV_VERSION from PyPI"
fi

shopt -s nullglob
manifests=(deploy/k8s/*.yaml deploy/k8s/optional/*.yaml)
((${#manifests[@]} > 0)) || fail "no manifests in deploy/k8s/"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# schema_check VERSION FILE...: kubernetes-validate --strict; prints its
# messages. Any message is a failure: a kind without a schema is only a
# warning for kubernetes-validate (exit 0), and a file without a resource
# passes it silently (the cross-checks catch that).
schema_check() {
  local version=$1 out rc=0
  shift
  out=$("$KV" --strict --quiet -k "$version" "$@" 2>&1) || rc=$?
  if [[ -n $out ]]; then printf '%s\n' "$out"; fi
  ((rc == 0)) && [[ -z $out ]]
}

# undeclared FILE...: the CAAS_* names in the files that config.rs does not declare.
declared=$(grep -oE 'env = "CAAS_[A-Z0-9_]+"' api/src/config.rs | grep -oE 'CAAS_[A-Z0-9_]+' | sort -u || true)
[[ -n $declared ]] || fail 'found no env = "CAAS_..." in api/src/config.rs'
undeclared() {
  { grep -ohE 'CAAS_[A-Z0-9_]+' "$@" || true; } | sort -u | comm -23 - <(printf '%s\n' "$declared")
}

# The drain's wait for WebSockets to close, from the server's code.
session_close=$(grep -oE 'sessions\.close_all\(Duration::from_secs\([0-9]+\)\)' api/src/server.rs | grep -oE '[0-9]+' || true)
[[ -n $session_close ]] || fail "cannot find sessions.close_all(Duration::from_secs(N)) in api/src/server.rs; update validate.sh"

# cross_check FILE...: prints one line per disagreement between the manifests.
cross_check() {
  SESSION_CLOSE_SECS=$session_close "$PY" - "$@" <<'PY'
import math, os, sys
import yaml

problems = []
docs = {}
for path in sys.argv[1:]:
    with open(path) as f:
        found = [d for d in yaml.safe_load_all(f) if d is not None]
    if not found:
        problems.append(f"{path}: no resource in it")
    for d in found:
        kind, meta = d.get("kind"), d.get("metadata") or {}
        if kind != "Namespace" and meta.get("namespace") != "caas":
            problems.append(f"{path}: {kind}/{meta.get('name')} is not in namespace caas")
        docs[(kind, meta.get("name"))] = d

def need(kind, name):
    d = docs.get((kind, name))
    if d is None:
        print(f"missing {kind}/{name}")
        sys.exit(1)
    return d

cm = need("ConfigMap", "caas-config")["data"]
dep = need("Deployment", "caas")
tpl = dep["spec"]["template"]
pod = tpl["spec"]
c = next(c for c in pod["containers"] if c["name"] == "caas")
ports = {p["name"]: p for p in c.get("ports", [])}
port_of = lambda addr: int(addr.rsplit(":", 1)[1])

udp = port_of(cm["CAAS_RTC_UDP_ADDR"])
rtc = ports.get("rtc", {})
host_port = udp if pod.get("hostNetwork") else rtc.get("hostPort")
if (rtc.get("protocol"), rtc.get("containerPort"), host_port) != ("UDP", udp, udp):
    problems.append(f"the SFU advertises UDP port {udp} (CAAS_RTC_UDP_ADDR) but the container publishes "
                    f"{rtc.get('protocol')} {rtc.get('containerPort')} as host port {host_port}")
http = port_of(cm["CAAS_HTTP_ADDR"])
if ports.get("http", {}).get("containerPort") != http:
    problems.append(f"CAAS_HTTP_ADDR listens on {http}, the container port http is {ports.get('http')}")
scrape = tpl["metadata"].get("annotations", {}).get("prometheus.io/port")
if scrape is not None and int(scrape) != http:
    problems.append(f"prometheus.io/port is {scrape}, the HTTP listener {http}")

# Grace period: preStop sleep + in-flight requests + WebSocket close + 1 s to flush and close.
pre = c.get("lifecycle", {}).get("preStop", {})
sleep = int(pre["exec"]["command"][1]) if pre.get("exec", {}).get("command", [""])[0] == "sleep" else 0
sleep = pre.get("sleep", {}).get("seconds", sleep)
drain = sleep + int(cm.get("CAAS_REQUEST_TIMEOUT_SECS", 30)) + int(os.environ["SESSION_CLOSE_SECS"]) + 1
grace = pod.get("terminationGracePeriodSeconds", 30)
if grace < drain:
    problems.append(f"terminationGracePeriodSeconds {grace} < {drain} s of preStop, requests and WebSocket close")

cpu = str(c["resources"]["limits"]["cpu"])
cpus = math.ceil(int(cpu[:-1]) / 1000 if cpu.endswith("m") else float(cpu))
if "CAAS_RTC_WORKERS" in cm and int(cm["CAAS_RTC_WORKERS"]) != cpus:
    problems.append(f"CAAS_RTC_WORKERS {cm['CAAS_RTC_WORKERS']} differs from the CPU limit {cpu}")

labels = tpl["metadata"]["labels"]
def selects(what, sel):
    if not set(sel.items()) <= set(labels.items()):
        problems.append(f"{what} selector {sel} does not match the pod labels {labels}")
selects("Deployment", dep["spec"]["selector"]["matchLabels"])
selects("Service", need("Service", "caas")["spec"]["selector"])
selects("PodDisruptionBudget", need("PodDisruptionBudget", "caas")["spec"]["selector"]["matchLabels"])
for term in pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]:
    selects("pod anti-affinity", term["labelSelector"]["matchLabels"])

ing = need("Ingress", "caas")
body = ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"].lower()
scale = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
body_bytes = int(body[:-1]) * scale[body[-1]] if body[-1] in scale else int(body)
if body_bytes <= int(cm.get("CAAS_MAX_FILE_BYTES", 25 << 20)):
    problems.append(f"Ingress proxy-body-size {body} does not exceed CAAS_MAX_FILE_BYTES")
svc_ports = {p["name"] for p in need("Service", "caas")["spec"]["ports"]}
for rule in ing["spec"]["rules"]:
    for p in rule["http"]["paths"]:
        s = p["backend"]["service"]
        if s["name"] != "caas" or s["port"].get("name") not in svc_ports:
            problems.append(f"Ingress path {p['path']} goes to {s}, not to a port of Service caas")

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY
}

# 1. Schemas.
for version in "${K8S_VERSIONS[@]}"; do
  out=$(schema_check "$version" "${manifests[@]}") || fail "schema check against Kubernetes $version:"$'\n'"$out"
done

# 2. Settings.
docs=(deploy/k8s/README.md)
[[ -f ${docs[0]} ]] || docs=()
unknown=$(undeclared "${manifests[@]}" "${docs[@]}")
[[ -z $unknown ]] || fail "CAAS_* names not declared in api/src/config.rs: ${unknown//$'\n'/ }"
used=$(grep -ohE 'CAAS_[A-Z0-9_]+' "${manifests[@]}" | sort -u | wc -l)

# 3. Cross-checks.
out=$(cross_check "${manifests[@]}") || fail "the manifests disagree:"$'\n'"$out"

# 4. The checks can fail. Broken copies go to $tmp; the real files are not touched.
"$PY" - deploy/k8s/30-deployment.yaml "$tmp" <<'PY'
import copy, sys
import yaml
src, out = sys.argv[1], sys.argv[2]
with open(src) as f:
    dep = next(d for d in yaml.safe_load_all(f) if d and d.get("kind") == "Deployment")
typo = copy.deepcopy(dep)
c = typo["spec"]["template"]["spec"]["containers"][0]
c["readinessProbes"] = c.pop("readinessProbe")  # a misspelt field name
with open(f"{out}/typo-deployment.yaml", "w") as f:
    yaml.safe_dump(typo, f)
moved = copy.deepcopy(dep)
for p in moved["spec"]["template"]["spec"]["containers"][0]["ports"]:
    if p.get("protocol") == "UDP":
        p["hostPort"] = p["containerPort"] = p["containerPort"] + 1
with open(f"{out}/30-deployment.yaml", "w") as f:
    yaml.safe_dump(moved, f)
PY
if out=$(schema_check "${K8S_VERSIONS[0]}" "$tmp/typo-deployment.yaml"); then
  fail "a Deployment with the unknown field readinessProbes passed the schema check"
fi
grep -q "'readinessProbes' was unexpected" <<<"$out" \
  || fail "the broken Deployment was rejected, but not for its unknown field:"$'\n'"$out"

sed 's/^data:$/data:\n  CAAS_NOT_A_SETTING: "1"/' deploy/k8s/10-configmap.yaml >"$tmp/configmap.yaml"
[[ $(undeclared "$tmp/configmap.yaml") == CAAS_NOT_A_SETTING ]] \
  || fail "an undeclared CAAS_NOT_A_SETTING was not reported"

others=()
for f in "${manifests[@]}"; do [[ $f == deploy/k8s/30-deployment.yaml ]] || others+=("$f"); done
if out=$(cross_check "${others[@]}" "$tmp/30-deployment.yaml"); then
  fail "a Deployment whose UDP port disagrees with CAAS_RTC_UDP_ADDR passed the cross-checks"
fi
grep -q "CAAS_RTC_UDP_ADDR" <<<"$out" || fail "the moved UDP port was rejected for another reason:"$'\n'"$out"

versions="${K8S_VERSIONS[*]}"
echo "[k8s] ok: ${#manifests[@]} manifests valid against the Kubernetes ${versions// / and } schemas" \
  "(kubernetes-validate $KV_VERSION --strict); $used CAAS_* names all in api/src/config.rs; cross-checks agree;" \
  "a misspelt field, an undeclared CAAS_ name and a moved UDP port were each rejected"
