#!/usr/bin/env bash
# Debian's PostgreSQL server (the Postgres leg of the backend tests), Chromium (the browser
# tests) and a Chinese font for Chromium's screenshots; nothing to do when all are present.
set -euo pipefail
missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "==> installing Debian's ${missing[*]} (needs root)"
if [ "$(id -u)" -ne 0 ]; then
  echo "missing: ${missing[*]}; run as root or install these Debian packages" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
# The postgresql package starts a cluster of its own; the tests start their own server.
service postgresql stop > /dev/null 2>&1 || true
