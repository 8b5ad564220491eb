#!/usr/bin/env bash
# Debian's PostgreSQL server (the Postgres leg of the backend tests), Chromium (the browser
# tests), a Chinese font for Chromium's screenshots, and for `make cluster` and its tests
# nginx, redis-server (also the shared-state tests) and docker-compose (validates
# deploy/docker-compose.yml; no container daemon runs here); nothing to do when all are present.
set -euo pipefail
missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/bin/redis-server ] || missing+=(redis-server)
[ -x /usr/bin/docker-compose ] || missing+=(docker-compose)
command -v envsubst > /dev/null || missing+=(gettext-base)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "==> installing Debian's ${missing[*]} (needs root)"
if [ "$(id -u)" -ne 0 ]; then
  echo "missing: ${missing[*]}; run as root or install these Debian packages" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
# The postgresql, nginx and redis-server packages may start servers of their own; the tests
# and `make cluster` start their own.
for service in postgresql nginx redis-server; do
  service "$service" stop > /dev/null 2>&1 || true
done
