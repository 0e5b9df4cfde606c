#!/usr/bin/env bash
# The four platform services as local processes, on top of the infrastructure.
#
#   services/stack.sh up      start the infrastructure (infra/native.sh up) and every service not running
#   services/stack.sh down    stop the services, then the infrastructure
#   services/stack.sh stop [service...]   stop the services only (all, or those named)
#   services/stack.sh running the services that are running (one per line)
#   services/stack.sh ps      each service and infrastructure part: pid, port, health, memory
#   services/stack.sh logs [service]
#
# Services log to EVENTSCOPE_HOME/logs/<service>.log; pids in EVENTSCOPE_HOME/run/<service>.pid.
# The demo configuration requires the API key in API_KEYS (default eventscope-demo-key) on
# write routes: send it as `X-API-Key`.
set -euo pipefail
# shellcheck source=infra/native/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../infra/native/common.sh"

SERVICES=(event-store projection notification producer)
declare -A PORTS=([producer]=8081 [event-store]=8082 [projection]=8083 [notification]=8084)
export API_KEYS=${API_KEYS:-eventscope-demo-key}
export OTEL_EXPORTER_OTLP_ENDPOINT=${OTEL_EXPORTER_OTLP_ENDPOINT:-http://127.0.0.1:${JAEGER_OTLP_HTTP_PORT}}
export EVENT_STORE_URL=${EVENT_STORE_URL:-http://127.0.0.1:${PORTS[event-store]}}

start_service() {
  local svc=$1 port=${PORTS[$1]} t0
  t0=$(now)
  if [ -n "$(part_pid "$svc")" ]; then
    info "$svc already running (pid $(part_pid "$svc"), port $port)"
    return 0
  fi
  require_free_port "$svc" "$port"
  PORT=$port OTEL_SERVICE_NAME=$svc start_bg "$svc" node "$REPO_DIR/services/$svc/src/main.ts"
  wait_ready "$svc" "$READY_TIMEOUT" http_ok "http://127.0.0.1:$port/health/ready"
  ok "$svc ready on http://127.0.0.1:$port" "$t0"
}

cmd_up() {
  "$INFRA_DIR/native.sh" up
  ensure_dirs
  ensure_node_path
  home_lock
  local svc
  for svc in "${SERVICES[@]}"; do start_service "$svc"; done
  cat <<TXT

Eventscope is running:
  producer      http://127.0.0.1:${PORTS[producer]}   (write routes need  X-API-Key: ${API_KEYS%%,*})
  event store   http://127.0.0.1:${PORTS[event-store]}/api/eventstore/stats
  projection    http://127.0.0.1:${PORTS[projection]}/api/projections
  notification  http://127.0.0.1:${PORTS[notification]}/api/deliveries
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
    if [ $# -eq 0 ] || [[ " $* " == *" $svc "* ]]; then stop_part "$svc" TERM 20; fi
  done
}

cmd_running() {
  local svc
  for svc in "${SERVICES[@]}"; do [ -z "$(part_pid "$svc")" ] || echo "$svc"; done
}

cmd_ps() {
  printf '%-14s %-8s %-6s %-7s %s\n' SERVICE PID PORT HEALTH "RSS MiB"
  local svc pid health mem
  for svc in producer event-store projection notification; do
    pid=$(part_pid "$svc")
    health=down
    mem=-
    if [ -n "$pid" ]; then
      mem=$(mem_mb "$pid" | cut -d' ' -f1)
      http_ok "http://127.0.0.1:${PORTS[$svc]}/health/ready" && health=ready || health=starting
    fi
    printf '%-14s %-8s %-6s %-7s %s\n' "$svc" "${pid:--}" "${PORTS[$svc]}" "$health" "$mem"
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
