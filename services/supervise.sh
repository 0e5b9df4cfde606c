#!/usr/bin/env bash
# Keeps one platform service running: `services/stack.sh up` starts this in the background for
# each service, with the service's environment.
#
#   services/supervise.sh <service> <port>
#
# It restarts the service when it exits (a crash, an OOM kill, SIGKILL) and when it hangs: no answer
# on /health/live AND no heartbeat from its event loop (run/<service>.beat, touched every second by
# the service; three checks in a row, 5 s apart, once it has answered), with a backoff that
# doubles from 1 s to 30 s and starts over after a minute of good health. SIGTERM stops the service
# (SIGTERM, then SIGKILL after SUPERVISE_STOP_GRACE seconds) and the supervisor with it.
#
# Files, beside the supervisor's own pid file (run/<service>.pid):
#   run/<service>.child     pid and start time of the service process now running
#   run/<service>.restarts  "<count> <epoch seconds of the last restart> <last exit status>"
set -uo pipefail
# shellcheck source=infra/native/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../infra/native/common.sh"

svc=${1:?service name}
port=${2:?port}
ensure_node_path
CHILD_FILE=$RUN_DIR/$svc.child
RESTARTS_FILE=$RUN_DIR/$svc.restarts
LIVE_URL=http://127.0.0.1:$port/health/live
BEAT_FILE=$RUN_DIR/$svc.beat
LIVE_EVERY=${SUPERVISE_LIVE_INTERVAL:-5}
LIVE_FAILURES=${SUPERVISE_LIVE_FAILURES:-3}
STOP_GRACE=${SUPERVISE_STOP_GRACE:-20}
BACKOFF_MAX=${SUPERVISE_BACKOFF_MAX:-30}

log() { printf '=== supervisor %s %s: %s\n' "$svc" "$(date -Is)" "$*"; }

child=""
stopping=0
# A process that has exited but not been reaped yet (state Z) is dead.
alive() { [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

stop_child() {
  [ -n "$child" ] || return 0
  kill -TERM "$child" 2>/dev/null || return 0
  local deadline=$((SECONDS + STOP_GRACE))
  while alive "$child" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  if alive "$child"; then
    log "pid $child still running after ${STOP_GRACE}s: KILL"
    kill -KILL "$child" 2>/dev/null || true
  fi
}
on_term() {
  stopping=1
  stop_child
  rm -f "$CHILD_FILE"
  exit 0
}
trap on_term TERM INT HUP

pause() { # seconds; interruptible by the traps above
  sleep "$1" &
  wait $! 2>/dev/null || true
}
# Waits up to $1 seconds or until the service exits, whichever comes first (then its exit status
# is in child_status: `wait -n` has reaped it).
watch_for() {
  local sleeper which="" st
  sleep "$1" &
  sleeper=$!
  wait -n -p which "$child" "$sleeper" 2>/dev/null
  st=$?
  [ "$which" != "$child" ] || child_status=$st
  kill "$sleeper" 2>/dev/null || true
}

# The service's event loop touched its heartbeat file within the last LIVE_EVERY seconds.
beating() {
  local beat
  beat=$(stat -c %Y "$BEAT_FILE" 2>/dev/null) || return 1
  [ $(($(date +%s) - beat)) -le "$LIVE_EVERY" ]
}

restarts=0
delay=1
printf '0 0 -\n' >"$RESTARTS_FILE"
while [ "$stopping" = 0 ]; do
  started=$SECONDS
  rm -f "$BEAT_FILE"
  # The instrumentations must be enabled before the service's modules load (ESM). The young
  # generation is capped at NODE_SEMI_SPACE_MB per semi-space, the old one grows by
  # NODE_HEAP_GROWING_PERCENT past what it kept (README.md, Configuration).
  EVENTSCOPE_HEARTBEAT_FILE=$BEAT_FILE node --max-semi-space-size="${NODE_SEMI_SPACE_MB:-16}" \
    --heap-growing-percent="${NODE_HEAP_GROWING_PERCENT:-50}" --import "$REPO_DIR/packages/platform/src/instrument.ts" "$REPO_DIR/services/$svc/src/main.ts" &
  child=$!
  printf '%s %s\n' "$child" "$(proc_start "$child")" >"$CHILD_FILE"

  # Watch it: exit, or no answer on /health/live (counted only once it has answered once, so a
  # slow start is left to `stack.sh up`'s own readiness wait).
  answered=0
  misses=0
  child_status=""
  why=""
  while alive "$child"; do
    watch_for "$LIVE_EVERY"
    alive "$child" || break
    # An overloaded service may leave a health check in its accept queue for seconds: its loop
    # still beats, and killing it would only lose what it is working on.
    if http_ok "$LIVE_URL" || { [ "$answered" = 1 ] && beating; }; then
      answered=1
      misses=0
    elif [ "$answered" = 1 ]; then
      misses=$((misses + 1))
      if [ "$misses" -ge "$LIVE_FAILURES" ]; then
        why="no answer on /health/live ${misses} times"
        log "$why: KILL pid $child"
        kill -KILL "$child" 2>/dev/null || true
        break
      fi
    fi
  done
  if [ -n "$child_status" ]; then
    status=$child_status
  else
    wait "$child" 2>/dev/null
    status=$?
  fi
  [ "$stopping" = 0 ] || break
  lived=$((SECONDS - started))
  [ "$lived" -lt 60 ] || delay=1
  restarts=$((restarts + 1))
  printf '%s %s %s\n' "$restarts" "$(date +%s)" "$([ -n "$why" ] && echo hung || echo "$status")" >"$RESTARTS_FILE"
  log "pid $child ended (${why:-exit status $status}) after ${lived}s; restart #$restarts in ${delay}s"
  pause "$delay"
  delay=$((delay * 2 > BACKOFF_MAX ? BACKOFF_MAX : delay * 2))
done
