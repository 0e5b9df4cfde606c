#!/usr/bin/env bash
# The four platform services and the gateway in front of them as local processes, on the infrastructure.
#
#   services/stack.sh up      start the infrastructure (infra/native.sh up) and every service not running
#   services/stack.sh down    stop the services, then the infrastructure
#   services/stack.sh stop [service...]   stop the services only (all, or those named)
#   services/stack.sh running the services that are running (one per line)
#   services/stack.sh ps      each service and infrastructure part: pid, port, health, memory
#   services/stack.sh logs [service]
#
# Each service runs under services/supervise.sh (restart on crash or hang, with backoff; `ps` shows
# the restart count). Services log to EVENTSCOPE_HOME/logs/<service>.log; the supervisors' pids are
# in EVENTSCOPE_HOME/run/<service>.pid, the services' own in run/<service>.child.
# The demo configuration requires the API key in API_KEYS (default eventscope-demo-key) on
# write routes: send it as `X-API-Key`.
set -euo pipefail
# shellcheck source=infra/native/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../infra/native/common.sh"

SERVICES=(event-store projection notification producer process-manager gateway)
declare -A PORTS=([producer]=8081 [event-store]=8082 [projection]=8083 [notification]=8084 [process-manager]=8086 [gateway]=8080)
export API_KEYS=${API_KEYS:-eventscope-demo-key}
export OTEL_EXPORTER_OTLP_ENDPOINT=${OTEL_EXPORTER_OTLP_ENDPOINT:-http://127.0.0.1:${JAEGER_OTLP_HTTP_PORT}}
export EVENT_STORE_URL=${EVENT_STORE_URL:-http://127.0.0.1:${PORTS[event-store]}}
# notification: local webhook receivers are on loopback; secrets sealed with the published demo key.
export WEBHOOK_ALLOWED_TARGETS=${WEBHOOK_ALLOWED_TARGETS:-127.0.0.0/8,::1/128}
export WEBHOOK_SECRET_KEY=${WEBHOOK_SECRET_KEY:-6576656e7473636f70652d64656d6f2d776562686f6f6b2d7365637265742d31}

# The service process a supervisor runs now (run/<service>.child), when it is alive.
child_pid() {
  local pid start
  [ -f "$RUN_DIR/$1.child" ] || return 0
  read -r pid start <"$RUN_DIR/$1.child" || true
  if [ -n "${pid:-}" ] && [ -d "/proc/$pid" ] && [ "$(proc_start "$pid")" = "${start:-}" ] &&
    ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; then
    echo "$pid"
  fi
}
restart_count() { [ -f "$RUN_DIR/$1.restarts" ] && cut -d' ' -f1 "$RUN_DIR/$1.restarts" || echo 0; }

# Every service runs under services/supervise.sh, which restarts it when it crashes or hangs.
# "Running" means its supervisor is alive; "ready" is asked of the service's own endpoint.
start_service() {
  local svc=$1 port=${PORTS[$1]} t0 url
  t0=$(now)
  url="http://127.0.0.1:$port/health/ready"
  if [ -n "$(part_pid "$svc")" ]; then
    if http_ok "$url"; then
      info "$svc already running (pid $(child_pid "$svc"), port $port, restarts $(restart_count "$svc"))"
      return 0
    fi
    info "$svc is supervised but not ready (restarts $(restart_count "$svc")): waiting"
    rm -f "$RUN_DIR/$svc.restarts" # count from here: a restart while we wait means it cannot start
  else
    require_free_port "$svc" "$port"
    rm -f "$RUN_DIR/$svc.restarts"
    PORT=$port OTEL_SERVICE_NAME=$svc start_bg "$svc" "$REPO_DIR/services/supervise.sh" "$svc" "$port"
  fi
  local deadline=$((SECONDS + READY_TIMEOUT))
  while ! http_ok "$url"; do
    # A service that exits while it starts would be restarted for ever: give up at once.
    if [ "$(restart_count "$svc")" != 0 ] || [ -z "$(part_pid "$svc")" ] || [ "$SECONDS" -ge "$deadline" ]; then
      fail "$svc did not become ready (restarts $(restart_count "$svc")); last lines of $LOG_DIR/$svc.log:"
      tail -n 40 "$LOG_DIR/$svc.log" >&2
      stop_part "$svc" TERM 25 >/dev/null
      return 1
    fi
    sleep 0.3
  done
  ok "$svc ready on http://127.0.0.1:$port (pid $(child_pid "$svc"), supervised)" "$t0"
}

cmd_up() {
  # V8's young generation per service (services/supervise.sh gives it to node): MiB per semi-space.
  export NODE_SEMI_SPACE_MB=${NODE_SEMI_SPACE_MB:-16}
  [[ $NODE_SEMI_SPACE_MB =~ ^[1-9][0-9]{0,3}$ ]] ||
    die "NODE_SEMI_SPACE_MB: expected a whole number of MiB from 1 to 9999, got \"$NODE_SEMI_SPACE_MB\""
  # How far V8 lets a service's old generation grow past what its last full collection kept.
  export NODE_HEAP_GROWING_PERCENT=${NODE_HEAP_GROWING_PERCENT:-50}
  [[ $NODE_HEAP_GROWING_PERCENT =~ ^(0|[1-9][0-9]{0,2})$ ]] ||
    die "NODE_HEAP_GROWING_PERCENT: expected a whole number from 0 (V8's own) to 999, got \"$NODE_HEAP_GROWING_PERCENT\""
  "$INFRA_DIR/native.sh" up
  ensure_dirs
  ensure_node_path
  home_lock
  local svc
  for svc in "${SERVICES[@]}"; do start_service "$svc"; done
  cat <<TXT

Eventscope is running:
  gateway       http://127.0.0.1:${PORTS[gateway]}   (every route below on one base URL; Swagger UI at /swagger)
  producer      http://127.0.0.1:${PORTS[producer]}   (write routes need  X-API-Key: ${API_KEYS%%,*})
  event store   http://127.0.0.1:${PORTS[event-store]}/api/eventstore/stats
  projection    http://127.0.0.1:${PORTS[projection]}/api/projections
  notification  http://127.0.0.1:${PORTS[notification]}/api/deliveries
  processes     http://127.0.0.1:${PORTS[process-manager]}/api/processes
  Prometheus    http://127.0.0.1:${PROMETHEUS_PORT}
  Jaeger API    http://127.0.0.1:${JAEGER_QUERY_PORT}/api/services
  mail sink     http://127.0.0.1:${MAIL_API_PORT}/api/v1/messages
Stop with: make down        Status: make ps        Logs: tail -f ${LOG_DIR}/<service>.log
TXT
}

cmd_stop() { # [service...]
  local svc
  for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
    svc=${SERVICES[$i]}
    if [ $# -eq 0 ] || [[ " $* " == *" $svc "* ]]; then
      local orphan
      orphan=$(child_pid "$svc")
      stop_part "$svc" TERM 25 # the supervisor stops its service first (TERM, then KILL)
      # A supervisor killed before it could stop its service leaves the service behind.
      [ -z "$orphan" ] || [ -z "$(child_pid "$svc")" ] || kill -KILL "$orphan" 2>/dev/null || true
      rm -f "$RUN_DIR/$svc.child"
    fi
  done
}

cmd_running() {
  local svc
  for svc in "${SERVICES[@]}"; do [ -z "$(part_pid "$svc")" ] || echo "$svc"; done
}

cmd_ps() {
  printf '%-14s %-8s %-6s %-9s %-8s %s\n' SERVICE PID PORT HEALTH RESTARTS "RSS MiB"
  local svc pid health mem
  for svc in gateway producer event-store projection notification process-manager; do
    pid=$(child_pid "$svc")
    health=down
    mem=-
    if [ -n "$(part_pid "$svc")" ]; then
      [ -z "$pid" ] || mem=$(mem_mb "$pid" | cut -d' ' -f1)
      if http_ok "http://127.0.0.1:${PORTS[$svc]}/health/ready"; then
        health=ready
      elif [ -n "$pid" ]; then
        health=starting
      else
        health=restarting
      fi
    fi
    printf '%-14s %-8s %-6s %-9s %-8s %s\n' "$svc" "${pid:--}" "${PORTS[$svc]}" "$health" \
      "$(restart_count "$svc")" "$mem"
  done
  echo
  "$INFRA_DIR/native.sh" status
}

case ${1:-} in
  up) cmd_up ;;
  stop)
    shift
    cmd_stop "$@"
    ;;
  running) cmd_running ;;
  down)
    cmd_stop
    "$INFRA_DIR/native.sh" down
    ;;
  ps) cmd_ps ;;
  logs) tail -n 50 -F "$LOG_DIR/${2:-*}.log" ;;
  *)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
