#!/bin/sh
# Writes the variables deploy/compose.yaml needs to FILE, with fresh random
# secrets (hex, so they are safe inside URLs), readable by its owner only:
#
#   deploy/compose/make-env.sh /etc/caas/compose.env [PUBLIC_IP]
#
# PUBLIC_IP is the address clients reach (SFU UDP ports, TURN); without it
# everything is bound to and advertised on 127.0.0.1, for a trial on this host.
set -eu
file=${1:?usage: make-env.sh FILE [PUBLIC_IP]}
ip=${2:-127.0.0.1}
[ ! -e "$file" ] || { echo "make-env.sh: $file exists; not overwriting secrets" >&2; exit 1; }
secret() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }
bind=127.0.0.1
[ "$ip" = 127.0.0.1 ] || bind=0.0.0.0
umask 077
cat >"$file" <<ENV
# deploy/compose.yaml settings, made by deploy/compose/make-env.sh. Keep secret.
CAAS_PUBLIC_IP=$ip
CAAS_BIND_IP=$bind
CAAS_GATEWAY_PORT=8080
CAAS_RTC_PORT_1=7882
CAAS_RTC_PORT_2=7883
CAAS_TURN_PORT=3478
CAAS_PROMETHEUS_PORT=9090
CAAS_GRAFANA_PORT=3000
POSTGRES_PASSWORD=$(secret)
REDIS_PASSWORD=$(secret)
MINIO_ROOT_USER=caas-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
MINIO_ROOT_PASSWORD=$(secret)
CAAS_TURN_SECRET=$(secret)
GRAFANA_ADMIN_PASSWORD=$(secret)
ENV
echo "wrote $file"
