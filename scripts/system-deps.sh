#!/usr/bin/env bash
# Debian's PostgreSQL server for the Postgres leg of the tests; nothing to do when present.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null; then
  exit 0
fi
echo "==> installing Debian's postgresql (needs root)"
if [ "$(id -u)" -ne 0 ]; then
  echo "PostgreSQL is missing; run as root or install the 'postgresql' package" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql > /dev/null
# The package starts a cluster of its own; the tests start their own server instead.
service postgresql stop > /dev/null 2>&1 || true
