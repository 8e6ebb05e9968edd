#!/bin/sh
set -e
# The official image's entrypoint, without its `$(detect-external-ip)`
# expansion (deploy/compose.yaml passes the external IP explicitly).
if [ "${1#-}" != "$1" ]; then set -- turnserver "$@"; fi
exec "$@"
