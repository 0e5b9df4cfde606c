# shellcheck shell=bash
# Prometheus from the Debian package, run directly with the repository's config
# (observability/prometheus/prometheus.native.yml), TSDB under EVENTSCOPE_HOME. No lifecycle API
# (/-/reload, /-/quit): nothing uses it, and anything on loopback could stop Prometheus with it.

PROM_BIN=${PROMETHEUS_BIN:-/usr/bin/prometheus}
PROM_CONFIG=$REPO_DIR/observability/prometheus/prometheus.native.yml
PROM_DATA=$DATA_DIR/prometheus

prometheus_version() {
  if [ -x "$PROM_BIN" ]; then "$PROM_BIN" --version 2>&1 | awk 'NR == 1 { print $3 }'; else echo "(missing)"; fi
}
prometheus_ports() { echo "$PROMETHEUS_PORT"; }

prometheus_install() {
  if [ -x "$PROM_BIN" ]; then return 0; fi
  local t0
  t0=$(now)
  apt_install prometheus
  ok "prometheus $(prometheus_version) installed" "$t0"
}

prometheus_health() { http_ok "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"; }

prometheus_start() {
  local t0
  t0=$(now)
  if [ -n "$(part_pid prometheus)" ]; then
    wait_ready prometheus 30 prometheus_health || return 1
    info "prometheus already running (pid $(part_pid prometheus))"
    return 0
  fi
  require_free_port prometheus "$PROMETHEUS_PORT"
  prometheus_install
  mkdir -p "$PROM_DATA" "$(dirname "$PROM_CONFIG")/rules"
  if command -v promtool >/dev/null && ! promtool check config "$PROM_CONFIG" >"$LOG_DIR/promtool.log" 2>&1; then
    cat "$LOG_DIR/promtool.log" >&2
    die "prometheus: $PROM_CONFIG (or a rule file) does not pass promtool check config"
  fi
  start_bg prometheus "$PROM_BIN" \
    --config.file="$PROM_CONFIG" \
    --storage.tsdb.path="$PROM_DATA" \
    --storage.tsdb.retention.time=7d \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" \
    --web.enable-remote-write-receiver \
    --enable-feature=exemplar-storage
  wait_ready prometheus "$READY_TIMEOUT" prometheus_health || return 1
  ok "prometheus $(prometheus_version) ready on 127.0.0.1:$PROMETHEUS_PORT (pid $(part_pid prometheus))" "$t0"
}

prometheus_up() { prometheus_start; }
prometheus_stop() { stop_part prometheus TERM 30; }
