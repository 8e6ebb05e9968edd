# shellcheck shell=bash
# Shared by deploy/image-smoke.sh, deploy/compose-smoke.sh and
# deploy/k8s/pod-smoke.sh (sourced, not run): podman in this machine's limits
# with a scratch store, the Debian base image made from Debian packages (no
# container registry is reachable here), and the runtime stage of
# deploy/Dockerfile around a binary built on the host.

# podman within this machine's limits (hard nofile 20 000, hybrid cgroups, no
# systemd), with its images, containers and network definitions in $1.
podman_scratch() {
  local work=$1
  cat >"$work/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$work/tmp"
[network]
network_backend = "netavark"
network_config_dir = "$work/networks"
CONF
  cat >"$work/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$work/storage"
runroot = "$work/run"
CONF
  export CONTAINERS_CONF="$work/containers.conf" CONTAINERS_STORAGE_CONF="$work/storage.conf"
}

# The path of the Debian bookworm minbase tarball in the cache $1, made with
# debootstrap from the mirror apt already uses if missing (about a minute,
# once); $2 is a scratch folder.
debian_base() {
  local cache=$1 work=$2 base
  base="$cache/bookworm-minbase.tar"
  mkdir -p "$cache"
  if [ ! -s "$base" ]; then
    local mirror
    mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
      | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n 1 | tr -d ' ' || true)
    [ -n "$mirror" ] || { echo "no Debian mirror in the apt sources" >&2; return 1; }
    echo "making the base image (debootstrap, about a minute)" >&2
    debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
      || { tail -n 20 "$work/debootstrap.log" >&2; return 1; }
    tar -C "$work/rootfs" -cf "$base.part" . && mv "$base.part" "$base"
    rm -rf "$work/rootfs"
  fi
  echo "$base"
}

# Builds the runtime stage of deploy/Dockerfile, unchanged but for where the
# binary comes from ($2, built on this machine: same Debian, same glibc), as
# image $3, in the build folder $1. Needs debian:bookworm-slim imported.
runtime_image() {
  local ctx=$1 bin=$2 tag=$3
  mkdir -p "$ctx"
  [ -f "$ctx/caas" ] || cp "$bin" "$ctx/caas"
  sed -n '/^FROM debian:bookworm-slim/,$p' deploy/Dockerfile \
    | sed 's#^COPY --from=build /src/target/release/caas #COPY caas #' >"$ctx/Dockerfile"
  grep -q '^COPY caas /usr/local/bin/caas' "$ctx/Dockerfile" \
    || { echo "deploy/Dockerfile has no binary COPY to replace" >&2; return 1; }
  podman build -q --pull=never --format docker -t "$tag" "$ctx" >/dev/null 2>"$ctx.build.log" \
    || { tail -n 30 "$ctx.build.log" >&2; return 1; }
}
