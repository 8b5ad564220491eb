#!/usr/bin/env bash
# Start backend, action server and Rasa server on loopback, each restarted when it dies
# (scripts/supervise.sh says which one); stop all three on Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var/logs
BACKEND_PORT=${BACKEND_PORT:-8000}; ACTIONS_PORT=${ACTIONS_PORT:-5055}; RASA_PORT=${RASA_PORT:-5005}
if [ -z "${RASA_JWT_SECRET:-}" ]; then
  [ -s var/rasa_jwt_secret ] || (umask 077; head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > var/rasa_jwt_secret)
  RASA_JWT_SECRET=$(cat var/rasa_jwt_secret)
fi
# Rasa seals the conversations it stores (endpoints.yml) with this key.
if [ -z "${TRACKER_STORE_KEY:-}" ]; then
  [ -s var/tracker_store_key ] || (umask 077; head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > var/tracker_store_key)
  TRACKER_STORE_KEY=$(cat var/tracker_store_key)
fi
export TRACKER_STORE_KEY
# The backend pushes pickup notices (and the hotline reads trackers) through Rasa's HTTP API
# with short-lived JWTs signed with RASA_JWT_SECRET; the actions call the backend.
export RASA_JWT_SECRET RASA_URL="${RASA_URL:-http://127.0.0.1:${RASA_PORT}}"
# A static token (?token=, which Rasa logs) only when asked for, to call the API by hand.
rasa_token=()
[ -z "${RASA_TOKEN:-}" ] || rasa_token=(--auth-token "$RASA_TOKEN")
export BACKEND_URL="${BACKEND_URL:-http://127.0.0.1:${BACKEND_PORT}}"
# A local run: the backend keeps its staff token in var/staff_token (development only).
export ENVIRONMENT="${ENVIRONMENT:-development}"

source scripts/supervise.sh
: > var/logs/backend.log; : > var/logs/actions.log; : > var/logs/rasa.log
pids=()
cleanup() { trap - EXIT INT TERM; for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait; }
trap cleanup EXIT INT TERM

wait_for() {  # name url seconds
  for _ in $(seq "$3"); do
    curl -fsS -o /dev/null "$2" 2>/dev/null && { echo "    $1 ready"; return 0; }
    sleep 1
  done
  echo "$1 did not start; see var/logs/" >&2; return 1
}

echo "==> backend (demo data is loaded into an empty database)"
supervise backend var/logs/backend.log make --no-print-directory backend BACKEND_PORT="$BACKEND_PORT" & pids+=($!)
wait_for backend "http://127.0.0.1:${BACKEND_PORT}/api/v1/health" 60
echo "==> action server"
supervise "action server" var/logs/actions.log .venv-rasa/bin/rasa run actions --actions actions --port "$ACTIONS_PORT" & pids+=($!)
wait_for "action server" "http://127.0.0.1:${ACTIONS_PORT}/health" 120
credentials=credentials.yml
if [ -z "${WECHAT_TOKEN:-}" ]; then
  # The WeChat channel refuses to start without its token: run without it.
  credentials=var/credentials-without-wechat.yml
  awk '/^bot\.wechat\.WeChatInput:/{skip=1; next} skip && /^[^ #]/{skip=0} !skip' credentials.yml > "$credentials"
  echo "    WeChat channel off (WECHAT_TOKEN is not set)"
fi
endpoints=endpoints.yml
if [ -n "${REDIS_HOST:-}" ]; then
  # Several Rasa processes (SANIC_WORKERS > 1) need a shared lock store.
  endpoints=var/endpoints-redis.yml
  { cat endpoints.yml; printf '\nlock_store:\n  type: redis\n  url: %s\n  port: %s\n  db: %s\n  key_prefix: zj-cert\n' \
      "$REDIS_HOST" "${REDIS_PORT:-6379}" "${REDIS_DB:-1}"; } > "$endpoints"
  echo "    Redis lock store at ${REDIS_HOST}:${REDIS_PORT:-6379}"
fi
echo "==> Rasa server (loading the model takes a while)"
supervise "Rasa server" var/logs/rasa.log .venv-rasa/bin/rasa run --enable-api --jwt-secret "$RASA_JWT_SECRET" \
  "${rasa_token[@]}" --interface 127.0.0.1 --port "$RASA_PORT" \
  --cors "*" --model models --credentials "$credentials" --endpoints "$endpoints" & pids+=($!)
wait_for "Rasa server" "http://127.0.0.1:${RASA_PORT}/" 300

cat <<INFO

  Widget demo      http://127.0.0.1:${BACKEND_PORT}/demo      (示例 page with the chat widget)
  Staff console    http://127.0.0.1:${BACKEND_PORT}/staff     (accounts: make staff-user USERNAME=… ROLE=… OFFICE=…)
  Hotline guide    http://127.0.0.1:${BACKEND_PORT}/hotline   (staff token in var/staff_token)
  Backend API      http://127.0.0.1:${BACKEND_PORT}/docs
  Action server    http://127.0.0.1:${ACTIONS_PORT}/health
  Rasa server      http://127.0.0.1:${RASA_PORT}/   (REST: /webhooks/rest/webhook; HTTP API: Bearer JWT, secret in var/rasa_jwt_secret)
  Staff token      var/staff_token
  Logs             var/logs/

A service that dies is named here and started again. Press Ctrl+C to stop.
INFO
wait
