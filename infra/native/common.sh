# shellcheck shell=bash
# Shared settings and helpers for the native (Docker-free) infrastructure. Sourced by
# infra/native.sh together with one script per part (kafka.sh, postgres.sh, ...).
#
# Layout:
#   EVENTSCOPE_HOME  (default <repo>/.eventscope, git-ignored): run data
#     run/<part>.pid   pid + process start time of what `up` started
#     logs/<part>.log  each part's output
#     data/<part>/     each part's state (Kafka log dirs, PostgreSQL cluster, Prometheus TSDB)
#     mail/            the SMTP sink's .eml files
#   EVENTSCOPE_CACHE (default ~/.cache/eventscope): downloads and builds, outside the repo
#     kafka/<version>/libs  Kafka jars, jmx-exporter/<version>/ the broker's metrics agent,
#     m2/ Maven's local repository, bin/ jaeger and vegeta,
#     build/jaeger the throwaway Go module Jaeger is built in

INFRA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_DIR=$(dirname "$INFRA_DIR")
export EVENTSCOPE_HOME=${EVENTSCOPE_HOME:-$REPO_DIR/.eventscope}
export EVENTSCOPE_CACHE=${EVENTSCOPE_CACHE:-$HOME/.cache/eventscope}
RUN_DIR=$EVENTSCOPE_HOME/run
LOG_DIR=$EVENTSCOPE_HOME/logs
DATA_DIR=$EVENTSCOPE_HOME/data
BIN_DIR=$EVENTSCOPE_CACHE/bin

# Ports (the defaults are what tests, services and docker-compose.yml expect).
export KAFKA_PORT=${KAFKA_PORT:-9092}
export KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
export KAFKA_PARTITIONS=${KAFKA_PARTITIONS:-6}
export KAFKA_METRICS_PORT=${KAFKA_METRICS_PORT:-9404}
export PGPORT=${PGPORT:-55432}
export PG_EXPORTER_PORT=${PG_EXPORTER_PORT:-9187}
export PROMETHEUS_PORT=${PROMETHEUS_PORT:-9090}
export JAEGER_OTLP_GRPC_PORT=${JAEGER_OTLP_GRPC_PORT:-4317}
export JAEGER_OTLP_HTTP_PORT=${JAEGER_OTLP_HTTP_PORT:-4318}
export JAEGER_QUERY_PORT=${JAEGER_QUERY_PORT:-16686}
export JAEGER_HEALTH_PORT=${JAEGER_HEALTH_PORT:-13133}
export JAEGER_METRICS_PORT=${JAEGER_METRICS_PORT:-8888}
export SMTP_PORT=${SMTP_PORT:-1025}
export MAIL_API_PORT=${MAIL_API_PORT:-8025}

# Seconds a part may take to become ready before `up` gives up and prints its log.
# shellcheck disable=SC2034 # used by the part scripts
READY_TIMEOUT=${EVENTSCOPE_READY_TIMEOUT:-120}

if [ -t 1 ]; then
  C_OK=$'\e[32m' C_ERR=$'\e[31m' C_DIM=$'\e[2m' C_OFF=$'\e[0m'
else
  C_OK="" C_ERR="" C_DIM="" C_OFF=""
fi

now() { date +%s.%N; }
# seconds since $1 (from `now`), one decimal
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }
ok() { printf '%s✓%s %s (%ss)\n' "$C_OK" "$C_OFF" "$1" "$(since "$2")"; }
info() { printf '%s· %s%s\n' "$C_DIM" "$1" "$C_OFF"; }
fail() { printf '%s✗ %s%s\n' "$C_ERR" "$1" "$C_OFF" >&2; }
die() {
  fail "$1"
  exit 1
}

ensure_dirs() { mkdir -p "$RUN_DIR" "$LOG_DIR" "$DATA_DIR" "$BIN_DIR"; }

# Several people (and `make test`) may run infra/native.sh at once in the same tree: `up` and
# `down` hold a lock on EVENTSCOPE_HOME, installs a lock on EVENTSCOPE_CACHE (shared by trees).
take_lock() { # fd file what
  local fd=$1 file=$2 what=$3
  mkdir -p "$(dirname "$file")"
  eval "exec $fd>\"\$file\""
  if ! flock -n "$fd"; then
    info "waiting for another infra/native.sh ($what lock: $file)"
    flock -w 1800 "$fd" || die "gave up waiting for $file"
  fi
}
home_lock() { take_lock 9 "$RUN_DIR/native.lock" "run"; }
cache_lock() { take_lock 8 "$EVENTSCOPE_CACHE/.install.lock" "install"; }
cache_unlock() { flock -u 8 2>/dev/null || true; }

# apt_install PKG...: installs Debian packages (apt-get update first), non-interactively.
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found: install $* by hand"
  info "apt-get install $*"
  local log=$LOG_DIR/apt.log
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"; } >>"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "apt-get install $* failed (log: $log)"
  fi
}

# --- processes ------------------------------------------------------------------------------

pid_file() { echo "$RUN_DIR/$1.pid"; }
# Kernel start time of a process (clock ticks since boot): tells a live pid from a reused one.
proc_start() { awk '{ print $22 }' "/proc/$1/stat" 2>/dev/null; }

write_pid() { # part pid
  printf '%s %s\n' "$2" "$(proc_start "$2")" >"$(pid_file "$1")"
}

# Prints the pid recorded for a part when that very process is still alive, else nothing
# (and removes a stale pid file). A process that has exited but is not reaped yet (state Z, for
# about a second on these machines) is dead.
part_pid() {
  local f pid start
  f=$(pid_file "$1")
  [ -f "$f" ] || return 0
  read -r pid start <"$f" || true
  if [ -n "${pid:-}" ] && [ -d "/proc/$pid" ] && [ "$(proc_start "$pid")" = "${start:-}" ] &&
    ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; then
    echo "$pid"
  else
    rm -f "$f"
  fi
}

port_open() { # port
  timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# Fails with a clear message when something else already listens on a port we need.
require_free_port() { # part port
  if port_open "$2"; then
    local who
    who=$(ss -ltnpH "sport = :$2" 2>/dev/null | grep -o 'users:(([^)]*))' | head -n 1)
    die "$1: port $2 is already in use ${who:-by another process} (stop it, or set another port: see infra/README.md)"
  fi
}

# start_bg part cmd...: starts a long-running process in its own session (so Ctrl-C on
# `make` does not reach it), output appended to logs/<part>.log, pid recorded.
start_bg() {
  local part=$1
  shift
  local log=$LOG_DIR/$part.log
  printf '\n=== %s start %s: %s\n' "$part" "$(date -Is)" "$*" >>"$log"
  # 8>&- 9>&-: the long-running process must not inherit (and hold) the run/install locks.
  setsid "$@" >>"$log" 2>&1 </dev/null 8>&- 9>&- &
  local pid=$!
  write_pid "$part" "$pid"
}

# wait_ready part timeout check-cmd...: polls check-cmd until it succeeds. Fails early when the
# part's process has died, and prints the tail of its log on failure.
wait_ready() {
  local part=$1 limit=$2
  shift 2
  local deadline=$((SECONDS + limit)) delay=0.1
  while ! "$@" >/dev/null 2>&1; do
    if [ -f "$(pid_file "$part")" ] && [ -z "$(part_pid "$part")" ]; then
      fail "$part exited during start-up; last lines of $LOG_DIR/$part.log:"
      tail -n 40 "$LOG_DIR/$part.log" >&2
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      fail "$part not ready after ${limit}s; last lines of $LOG_DIR/$part.log:"
      tail -n 40 "$LOG_DIR/$part.log" >&2
      return 1
    fi
    sleep "$delay"
    delay=0.5
  done
}

# stop_part part [signal] [grace-seconds]: graceful signal to the recorded pid, wait, then KILL.
stop_part() {
  local part=$1 sig=${2:-TERM} grace=${3:-30} pid t0
  pid=$(part_pid "$part")
  if [ -z "$pid" ]; then
    rm -f "$(pid_file "$part")"
    return 0
  fi
  t0=$(now)
  kill -s "$sig" "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + grace))
  while [ -d "/proc/$pid" ] && [ "$(proc_start "$pid")" != "" ] && [ "$SECONDS" -lt "$deadline" ]; do
    if grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; then break; fi
    sleep 0.2
  done
  if [ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; then
    fail "$part (pid $pid) still running after ${grace}s: KILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$(pid_file "$part")"
  ok "$part stopped (pid $pid)" "$t0"
}

# Resident memory of a process and its descendants, in MiB: "RSS PSS" (PSS shares shared pages
# such as PostgreSQL's shared buffers among the processes that map them, so it adds up).
tree_pids() {
  local p=$1
  echo "$p"
  local c
  for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree_pids "$c"; done
}
mem_mb() {
  local rss=0 pss=0 p r s
  for p in $(tree_pids "$1"); do
    r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)
    s=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
    rss=$((rss + ${r:-0}))
    pss=$((pss + ${s:-0}))
  done
  echo "$((rss / 1024)) $((pss / 1024))"
}

http_ok() { # url
  curl -fs -o /dev/null --max-time 2 "$1"
}

# node runs the TypeScript helpers (Node >= 22 strips types; infra/ensure-node.sh provides one).
ensure_node_path() {
  local dir
  dir=$("$INFRA_DIR/ensure-node.sh")
  case ":$PATH:" in *":$dir:"*) ;; *) PATH=$dir:$PATH ;; esac
  export PATH
}

# The TypeScript helpers (Kafka's readiness check and topics, the mail sink) import the npm
# workspace's packages: without them every check fails and a part looks "not ready" for minutes.
require_workspace() {
  [ -d "$REPO_DIR/node_modules/kafkajs" ] ||
    die "the npm workspace is not installed ($REPO_DIR/node_modules): run \`make install\` first (make infra-up, make up and make demo do it)"
}

go_module_version() { # binary -> version of its main module, e.g. v1.8.1
  go version -m "$1" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'
}

require_go() {
  command -v go >/dev/null || die "Go >= 1.25 is needed to build $1 (not found on PATH)"
}
