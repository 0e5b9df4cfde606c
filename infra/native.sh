#!/usr/bin/env bash
# The infrastructure for development and tests: Kafka (with its metrics agent), PostgreSQL and its
# exporter, Prometheus, Jaeger, the SMTP sink (and vegeta, the native load engine, installed only).
#
#   infra/native.sh up [part...]           install what is missing, start what is not running
#   infra/native.sh down [--purge] [part...] stop what `up` started (by pid); --purge deletes run data
#   infra/native.sh purge                  down --purge
#   infra/native.sh status                 version, ports, pid, health, memory of each part
#   infra/native.sh logs [part]            tail the logs (EVENTSCOPE_HOME/logs)
#   infra/native.sh running                the parts that are running (one per line)
#
# Parts: kafka postgres pg_exporter prometheus jaeger smtp vegeta. EVENTSCOPE_INFRA=native|docker|auto
# (auto: docker compose when a Docker engine answers, else native processes). See infra/README.md.
set -euo pipefail

# shellcheck source=infra/native/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/native/common.sh"
for f in kafka postgres pg_exporter prometheus jaeger smtp vegeta; do
  # shellcheck source=/dev/null
  source "$INFRA_DIR/native/$f.sh"
done

ALL_PARTS=(kafka postgres pg_exporter prometheus jaeger smtp vegeta)
SERVICE_PARTS=(kafka postgres pg_exporter prometheus jaeger smtp) # those with a process

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

check_parts() {
  local p
  for p in "$@"; do
    case " ${ALL_PARTS[*]} " in *" $p "*) ;; *) die "unknown part '$p' (parts: ${ALL_PARTS[*]})" ;; esac
  done
}

# --- Docker ---------------------------------------------------------------------------------

use_docker() {
  local mode=${EVENTSCOPE_INFRA:-auto}
  case $mode in
    native) return 1 ;;
    docker)
      docker info >/dev/null 2>&1 || die "EVENTSCOPE_INFRA=docker but no Docker engine answers (docker info)"
      return 0
      ;;
    auto) command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 ;;
    *) die "EVENTSCOPE_INFRA must be native, docker or auto (got '$mode')" ;;
  esac
}

# The infrastructure services of docker-compose.yml (the platform services are `make up`).
COMPOSE_INFRA=(kafka topics postgres postgres-exporter prometheus grafana jaeger mailpit)

docker_cmd() {
  local cmd=$1
  shift
  local compose=(docker compose -f "$REPO_DIR/docker-compose.yml")
  case $cmd in
    up)
      # Long-running parts first (waiting for their health checks), then the one-shot topics job.
      local long=()
      for p in "${COMPOSE_INFRA[@]}"; do [ "$p" = topics ] || long+=("$p"); done
      "${compose[@]}" up -d --wait "${long[@]}"
      "${compose[@]}" run --rm topics
      ;;
    down)
      local names=() purge=0
      for p in "$@"; do if [ "$p" = --purge ]; then purge=1; else names+=("$p"); fi; done
      if [ $purge = 1 ]; then
        "${compose[@]}" down -v
      elif [ ${#names[@]} -gt 0 ]; then
        "${compose[@]}" stop "${names[@]}"
      else
        "${compose[@]}" stop "${COMPOSE_INFRA[@]}"
      fi
      ;;
    purge) "${compose[@]}" down -v ;;
    status) "${compose[@]}" ps ;;
    logs) "${compose[@]}" logs -f --tail=100 "$@" ;;
    running) "${compose[@]}" ps --services --filter status=running ;;
    *) usage ;;
  esac
}

# --- native ---------------------------------------------------------------------------------

cmd_up() {
  local parts=("$@")
  [ ${#parts[@]} -gt 0 ] || parts=("${ALL_PARTS[@]}")
  check_parts "${parts[@]}"
  ensure_dirs
  ensure_node_path
  require_workspace
  local t0 p
  t0=$(now)
  for p in "${parts[@]}"; do
    "${p}_up" || die "$p failed to start (logs: $LOG_DIR)"
  done
  ok "infrastructure up: ${parts[*]}" "$t0"
}

cmd_down() {
  local purge=0 parts=() p
  for p in "$@"; do
    if [ "$p" = --purge ]; then purge=1; else parts+=("$p"); fi
  done
  [ ${#parts[@]} -gt 0 ] || parts=("${SERVICE_PARTS[@]}")
  check_parts "${parts[@]}"
  # Reverse start order: clients (smtp, jaeger) before what they might depend on.
  local i
  for ((i = ${#parts[@]} - 1; i >= 0; i--)); do
    "${parts[i]}_stop"
  done
  if [ "$purge" = 1 ]; then
    if [ ${#parts[@]} -eq ${#SERVICE_PARTS[@]} ]; then
      rm -rf "$DATA_DIR" "$EVENTSCOPE_HOME/mail" "$EVENTSCOPE_HOME/conf" "$RUN_DIR"
      ok "run data deleted ($DATA_DIR, $EVENTSCOPE_HOME/mail)" "$(now)"
    else
      for p in "${parts[@]}"; do
        case $p in
          smtp) rm -rf "$EVENTSCOPE_HOME/mail" ;;
          *) rm -rf "${DATA_DIR:?}/$p" ;;
        esac
      done
      ok "run data of ${parts[*]} deleted" "$(now)"
    fi
  fi
}

cmd_status() {
  ensure_node_path
  printf '%-11s %-26s %-32s %-8s %-6s %8s %8s\n' PART VERSION PORTS PID HEALTH "RSS(MB)" "PSS(MB)"
  local p pid health rss pss total_rss=0 total_pss=0
  for p in "${ALL_PARTS[@]}"; do
    pid=$(part_pid "$p")
    if "${p}_health"; then health=up; else health=down; fi
    [ "$p" = vegeta ] && health=$([ "$health" = up ] && echo installed || echo missing)
    rss=- pss=-
    if [ -n "$pid" ]; then
      read -r rss pss <<<"$(mem_mb "$pid")"
      total_rss=$((total_rss + rss))
      total_pss=$((total_pss + pss))
    elif [ "$p" != vegeta ] && [ "$health" = up ]; then
      pid="(other)"
    fi
    printf '%-11s %-26s %-32s %-8s %-6s %8s %8s\n' "$p" "$("${p}_version")" "$("${p}_ports")" "${pid:--}" "$health" "$rss" "$pss"
  done
  printf '%-11s %-26s %-32s %-8s %-6s %8s %8s\n' total "" "" "" "" "$total_rss" "$total_pss"
}

cmd_logs() {
  mkdir -p "$LOG_DIR"
  if [ $# -gt 0 ]; then
    check_parts "$1"
    touch "$LOG_DIR/$1.log"
    exec tail -n 100 -F "$LOG_DIR/$1.log"
  fi
  local files=()
  for p in "${SERVICE_PARTS[@]}"; do
    touch "$LOG_DIR/$p.log"
    files+=("$LOG_DIR/$p.log")
  done
  exec tail -n 20 -F "${files[@]}"
}

cmd_running() {
  local p
  for p in "${SERVICE_PARTS[@]}"; do
    if [ -n "$(part_pid "$p")" ]; then echo "$p"; fi
  done
}

main() {
  [ $# -gt 0 ] || usage
  local cmd=$1
  shift
  if use_docker; then
    docker_cmd "$cmd" "$@"
    return
  fi
  case $cmd in
    up | down | purge)
      ensure_dirs
      home_lock
      ;;
  esac
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    purge) cmd_down --purge "$@" ;;
    status) cmd_status ;;
    logs) cmd_logs "$@" ;;
    running) cmd_running ;;
    -h | --help | help) usage ;;
    *) usage ;;
  esac
}

main "$@"
