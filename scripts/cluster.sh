#!/usr/bin/env bash
# `make cluster`: deploy/docker-compose.yml's topology on this machine, from Debian's
# packages instead of containers: PostgreSQL (a cluster of its own in var/cluster/pg),
# redis-server, two backends, two action servers, two Rasa processes (each with the
# JWT secret, the Redis lock store and the PostgreSQL tracker store of deploy/endpoints.yml)
# and nginx in front, its configuration filled from deploy/nginx/assistant.conf.template.
# Every service runs under scripts/supervise.sh (restarted when it dies, and named) with
# its pid in var/cluster/run/NAME.pid; Ctrl+C stops them all.
#
# Settings (environment): CLUSTER_DIR (var/cluster), CLUSTER_PORT (8080: the public
# address), CLUSTER_BASE_PORT (18000: the others are counted from it, see below),
# ENVIRONMENT (development), WECHAT_TOKEN (the WeChat channel is left out without it).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
started_at=$(date +%s)

CLUSTER_DIR=${CLUSTER_DIR:-var/cluster}
mkdir -p "$CLUSTER_DIR"
CLUSTER_DIR=$(cd "$CLUSTER_DIR" && pwd)
LOGS=$CLUSTER_DIR/logs RUN=$CLUSTER_DIR/run
mkdir -p "$LOGS" "$RUN" "$CLUSTER_DIR/nginx/tmp" "$CLUSTER_DIR/redis"

PUBLIC_PORT=${CLUSTER_PORT:-8080}
base=${CLUSTER_BASE_PORT:-18000}
ACTIONS_LISTEN=$((base + 1)) BACKEND_LISTEN=$((base + 2)) RASA_API_LISTEN=$((base + 3))
PG_PORT=$((base + 10)) REDIS_PORT=$((base + 11))
RASA_PORTS=($((base + 21)) $((base + 22)))
ACTIONS_PORTS=($((base + 31)) $((base + 32)))
BACKEND_PORTS=($((base + 41)) $((base + 42)))

RASA_BIN=$ROOT/.venv-rasa/bin/rasa
BACKEND_PY=$ROOT/.venv-backend/bin/python
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
for tool in "$PG_BIN/initdb" /usr/sbin/nginx /usr/bin/redis-server "$RASA_BIN" "$BACKEND_PY"; do
  [ -x "$tool" ] || { echo "missing $tool: run make venvs and make system-deps" >&2; exit 1; }
done
compgen -G "models/*.tar.gz" > /dev/null || { echo "no trained model in models/: run make train" >&2; exit 1; }
for port in "$PUBLIC_PORT" "$ACTIONS_LISTEN" "$BACKEND_LISTEN" "$RASA_API_LISTEN" "$PG_PORT" "$REDIS_PORT" \
            "${RASA_PORTS[@]}" "${ACTIONS_PORTS[@]}" "${BACKEND_PORTS[@]}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is taken (set CLUSTER_PORT / CLUSTER_BASE_PORT)" >&2; exit 1
  fi
done

secret() {  # a generated secret kept in the cluster's folder
  local file=$CLUSTER_DIR/$1
  [ -s "$file" ] || (umask 077; head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$file")
  cat "$file"
}
PG_PASSWORD=$(secret pg_password)
export STAFF_TOKEN=${STAFF_TOKEN:-$(secret staff_token)}
export RASA_JWT_SECRET=${RASA_JWT_SECRET:-$(secret rasa_jwt_secret)}
export TRACKER_STORE_KEY=${TRACKER_STORE_KEY:-$(secret tracker_store_key)}
export ENVIRONMENT=${ENVIRONMENT:-development}

source scripts/supervise.sh
supervisors=()  # "name pid", stopped in reverse order
cleanup() {
  local code=$? i
  trap - EXIT INT TERM
  echo "==> stopping the cluster"
  for ((i = ${#supervisors[@]} - 1; i >= 0; i--)); do
    kill "${supervisors[i]#* }" 2>/dev/null || true
    wait "${supervisors[i]#* }" 2>/dev/null || true
  done
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run NAME COMMAND...: supervised, output in logs/NAME.log, pid in run/NAME.pid (its
# supervisor's in run/NAME.supervisor.pid), started in the folder RUN_IN (default: the repository)
run() {
  local name=$1; shift
  supervise "$name" "$LOGS/$name.log" \
    sh -c 'cd "$1" && echo $$ > "$0" && shift && exec "$@"' "$RUN/$name.pid" "${RUN_IN:-$ROOT}" "$@" &
  supervisors+=("$name $!")
  echo $! > "$RUN/$name.supervisor.pid"
}

wait_for() {  # name seconds command...
  local name=$1 seconds=$2; shift 2
  for _ in $(seq "$((seconds * 2))"); do
    "$@" > /dev/null 2>&1 && { echo "    $name ready"; return 0; }
    sleep 0.5
  done
  echo "$name did not start within ${seconds}s; see $LOGS/" >&2; return 1
}
http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }

echo "==> PostgreSQL on 127.0.0.1:$PG_PORT (data in $CLUSTER_DIR/pg)"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  as_pg=(runuser -u postgres --)  # PostgreSQL refuses to run as root
fi
if [ ! -s "$CLUSTER_DIR/pg/PG_VERSION" ]; then
  mkdir -p "$CLUSTER_DIR/pg"
  (umask 077; printf '%s\n' "$PG_PASSWORD" > "$CLUSTER_DIR/pg.pwfile")
  [ ${#as_pg[@]} -eq 0 ] || chown postgres: "$CLUSTER_DIR/pg" "$CLUSTER_DIR/pg.pwfile"
  "${as_pg[@]}" "$PG_BIN/initdb" -D "$CLUSTER_DIR/pg" -U postgres -E UTF8 --no-locale \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 --pwfile="$CLUSTER_DIR/pg.pwfile" > "$LOGS/initdb.log"
  rm -f "$CLUSTER_DIR/pg.pwfile"
fi
mkdir -p "$CLUSTER_DIR/pg-socket"
[ ${#as_pg[@]} -eq 0 ] || chown postgres: "$CLUSTER_DIR/pg-socket"
# The budget of deploy/docker-compose.yml: 100 connections, 3 kept for the superuser.
run postgresql "${as_pg[@]}" "$PG_BIN/postgres" -D "$CLUSTER_DIR/pg" -p "$PG_PORT" -k "$CLUSTER_DIR/pg-socket" \
  -c listen_addresses=127.0.0.1 -c max_connections=100 -c superuser_reserved_connections=3
wait_for PostgreSQL 60 "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" || exit 1
export PGPASSWORD=$PG_PASSWORD
for db in certs rasa rasa_events; do
  if [ -z "$("$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
    "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "CREATE DATABASE $db" > /dev/null
  fi
done
unset PGPASSWORD

echo "==> Redis on 127.0.0.1:$REDIS_PORT"
run redis /usr/bin/redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
  --dir "$CLUSTER_DIR/redis" --daemonize no
wait_for Redis 20 /usr/bin/redis-cli -p "$REDIS_PORT" ping || exit 1

PUBLIC_URL="http://127.0.0.1:$PUBLIC_PORT"
echo "==> two backends (demo data is loaded into an empty database)"
export DATABASE_URL="postgresql+psycopg://postgres:${PG_PASSWORD}@127.0.0.1:${PG_PORT}/certs"
export DATABASE_POOL_SIZE=8 DATABASE_MAX_OVERFLOW=4
export REDIS_URL="redis://127.0.0.1:${REDIS_PORT}/0"
export RASA_URL="http://127.0.0.1:${RASA_API_LISTEN}" RASA_PUBLIC_URL=$PUBLIC_URL
(cd backend && "$BACKEND_PY" -m app.prestart --demo) >> "$LOGS/prestart.log" 2>&1 \
  || { echo "the backend's database could not be prepared; see $LOGS/prestart.log" >&2; exit 1; }
for n in 1 2; do
  RUN_IN=$ROOT/backend run "backend-$n" "$BACKEND_PY" -m uvicorn --factory app.main:create_app \
    --host 127.0.0.1 --port "${BACKEND_PORTS[n - 1]}" --forwarded-allow-ips 127.0.0.1
done

echo "==> two action servers"
for n in 1 2; do
  BACKEND_URL="http://127.0.0.1:${BACKEND_LISTEN}" BACKEND_PUBLIC_URL=$PUBLIC_URL \
    run "actions-$n" "$RASA_BIN" run actions --actions actions --port "${ACTIONS_PORTS[n - 1]}"
done

echo "==> two Rasa processes (loading the model takes a while)"
credentials=credentials.yml
if [ -z "${WECHAT_TOKEN:-}" ]; then
  credentials=$CLUSTER_DIR/credentials-without-wechat.yml
  awk '/^bot\.wechat\.WeChatInput:/{skip=1; next} skip && /^[^ #]/{skip=0} !skip' credentials.yml > "$credentials"
  echo "    WeChat channel off (WECHAT_TOKEN is not set)"
fi
export ACTION_ENDPOINT_URL="http://127.0.0.1:${ACTIONS_LISTEN}/webhook"
export DB_HOST=127.0.0.1 DB_PORT=$PG_PORT DB_USER=postgres DB_PASSWORD=$PG_PASSWORD
export RASA_TRACKER_DB=rasa RASA_EVENTS_DB=rasa_events SQL_POOL_SIZE=10 SQL_MAX_OVERFLOW=5
export REDIS_HOST=127.0.0.1 REDIS_PORT REDIS_LOCK_DB=1
for n in 1 2; do
  REDIS_URL="redis://127.0.0.1:${REDIS_PORT}/2" \
    run "rasa-$n" "$RASA_BIN" run --enable-api --jwt-secret "$RASA_JWT_SECRET" --interface 127.0.0.1 \
      --port "${RASA_PORTS[n - 1]}" --cors "*" --model models --credentials "$credentials" \
      --endpoints deploy/endpoints.yml
done

echo "==> nginx on $PUBLIC_URL"
nginx_user=""
if [ "$(id -u)" -eq 0 ]; then
  nginx_user="user www-data;"
  chown -R www-data: "$CLUSTER_DIR/nginx/tmp"
fi
PUBLIC_LISTEN="127.0.0.1:$PUBLIC_PORT" ACTIONS_LISTEN="127.0.0.1:$ACTIONS_LISTEN" \
BACKEND_LISTEN="127.0.0.1:$BACKEND_LISTEN" RASA_API_LISTEN="127.0.0.1:$RASA_API_LISTEN" \
RASA_1="127.0.0.1:${RASA_PORTS[0]}" RASA_2="127.0.0.1:${RASA_PORTS[1]}" \
ACTIONS_1="127.0.0.1:${ACTIONS_PORTS[0]}" ACTIONS_2="127.0.0.1:${ACTIONS_PORTS[1]}" \
BACKEND_1="127.0.0.1:${BACKEND_PORTS[0]}" BACKEND_2="127.0.0.1:${BACKEND_PORTS[1]}" \
NGINX_ACCESS_LOG="$LOGS/nginx-access.log" \
  envsubst '${PUBLIC_LISTEN} ${ACTIONS_LISTEN} ${BACKEND_LISTEN} ${RASA_API_LISTEN} ${RASA_1} ${RASA_2}
            ${ACTIONS_1} ${ACTIONS_2} ${BACKEND_1} ${BACKEND_2} ${NGINX_ACCESS_LOG}' \
  < deploy/nginx/assistant.conf.template > "$CLUSTER_DIR/nginx/assistant.conf"
cat > "$CLUSTER_DIR/nginx/nginx.conf" <<NGINX
$nginx_user
daemon off;
worker_processes 1;
pid $RUN/nginx-master.pid;
error_log $LOGS/nginx-error.log warn;
events { worker_connections 1024; }
http {
    client_body_temp_path $CLUSTER_DIR/nginx/tmp/body;
    proxy_temp_path $CLUSTER_DIR/nginx/tmp/proxy;
    fastcgi_temp_path $CLUSTER_DIR/nginx/tmp/fastcgi;
    uwsgi_temp_path $CLUSTER_DIR/nginx/tmp/uwsgi;
    scgi_temp_path $CLUSTER_DIR/nginx/tmp/scgi;
    include $CLUSTER_DIR/nginx/assistant.conf;
}
NGINX
/usr/sbin/nginx -t -q -e "$LOGS/nginx-error.log" -p "$CLUSTER_DIR/nginx" -c "$CLUSTER_DIR/nginx/nginx.conf"
run nginx /usr/sbin/nginx -e "$LOGS/nginx-error.log" -p "$CLUSTER_DIR/nginx" -c "$CLUSTER_DIR/nginx/nginx.conf"
wait_for nginx 20 http_ok "$PUBLIC_URL/healthz" || exit 1

for n in 1 2; do
  wait_for "backend-$n" 60 http_ok "http://127.0.0.1:${BACKEND_PORTS[n - 1]}/api/v1/health" || exit 1
  wait_for "actions-$n" 180 http_ok "http://127.0.0.1:${ACTIONS_PORTS[n - 1]}/health" || exit 1
done
for n in 1 2; do
  wait_for "rasa-$n" "${CLUSTER_START_SECONDS:-900}" http_ok "http://127.0.0.1:${RASA_PORTS[n - 1]}/" || exit 1
done

cat <<INFO

  Widget demo      $PUBLIC_URL/demo        (through nginx; socket.io sticky by address)
  Hotline guide    $PUBLIC_URL/hotline     (staff token in $CLUSTER_DIR/staff_token)
  REST webhook     $PUBLIC_URL/webhooks/rest/webhook
  Backends         http://127.0.0.1:${BACKEND_PORTS[0]}  http://127.0.0.1:${BACKEND_PORTS[1]}
  Action servers   http://127.0.0.1:${ACTIONS_PORTS[0]}  http://127.0.0.1:${ACTIONS_PORTS[1]}
  Rasa             http://127.0.0.1:${RASA_PORTS[0]}  http://127.0.0.1:${RASA_PORTS[1]}
  PostgreSQL       127.0.0.1:$PG_PORT (user postgres, password in $CLUSTER_DIR/pg_password)
  Redis            127.0.0.1:$REDIS_PORT
  Logs, pids       $LOGS/  $RUN/

cluster ready in $(( $(date +%s) - started_at ))s. A service that dies is named here and started again. Press Ctrl+C to stop.
INFO
wait
