#!/bin/sh
set -e
# The official image's entrypoint: options alone mean `haproxy <options>`, and
# haproxy runs as master-worker in the foreground.
if [ "${1#-}" != "$1" ]; then set -- haproxy "$@"; fi
if [ "$1" = haproxy ]; then shift; set -- haproxy -W -db "$@"; fi
exec "$@"
