# Sourced by scripts/run.sh: keep a service running, and say so when it dies.
#
#   supervise NAME LOG COMMAND...   (run it in the background: `supervise ... &`)
#
# Runs COMMAND with its output appended to LOG. Whenever it exits, one line on stderr says
# which service died, with its exit code and log, and it is started again after a pause that
# doubles up to SUPERVISE_MAX_DELAY seconds (reset once it has run for a minute), so that
# one death neither stops the other services nor goes unnoticed. SUPERVISE_MAX_RESTARTS
# (default: no limit) stops trying after that many restarts in a row.

supervise() {
  set +e  # a service's exit is expected here (this runs as its own background shell)
  local name=$1 log=$2; shift 2
  local delay=1 restarts=0 started code
  local max_delay=${SUPERVISE_MAX_DELAY:-30} max_restarts=${SUPERVISE_MAX_RESTARTS:-0}
  local child=
  # Stopping the supervisor stops its service first.
  trap '[ -n "$child" ] && kill "$child" 2>/dev/null; wait; exit 0' TERM INT
  while true; do
    started=$(date +%s)
    "$@" >> "$log" 2>&1 &
    child=$!
    wait "$child"; code=$?
    child=
    if [ $(( $(date +%s) - started )) -ge 60 ]; then delay=1; restarts=0; fi
    restarts=$((restarts + 1))
    if [ "$max_restarts" -gt 0 ] && [ "$restarts" -gt "$max_restarts" ]; then
      echo "!!! $name exited with code $code at $(date +%T) and is not restarted again (${max_restarts} restarts in a row; see $log)" >&2
      return "$code"
    fi
    echo "!!! $name exited with code $code at $(date +%T); restarting in ${delay}s (see $log)" >&2
    sleep "$delay"
    delay=$(( delay * 2 > max_delay ? max_delay : delay * 2 ))
  done
}
