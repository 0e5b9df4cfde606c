# shellcheck shell=bash
# The PostgreSQL exporter from the Debian package (prometheus-postgres-exporter), pointed at the
# native PostgreSQL with a DSN, metrics on http://127.0.0.1:$PG_EXPORTER_PORT/metrics: its default
# collectors plus observability/postgres-exporter/queries.yml (WAL, the platform's table sizes,
# read-model figures for the business dashboard). Starting or stopping it never touches PostgreSQL.

PG_EXPORTER_BIN=${PG_EXPORTER_BIN:-/usr/bin/prometheus-postgres-exporter}
PG_EXPORTER_QUERIES=$REPO_DIR/observability/postgres-exporter/queries.yml
PG_EXPORTER_DSN=${PG_EXPORTER_DSN:-postgresql://eventscope:eventscope@127.0.0.1:$PGPORT/eventscope?sslmode=disable}

pg_exporter_version() {
  if [ -x "$PG_EXPORTER_BIN" ]; then "$PG_EXPORTER_BIN" --version 2>&1 | awk 'NR == 1 { print $3 }'; else echo "(missing)"; fi
}
pg_exporter_ports() { echo "$PG_EXPORTER_PORT"; }

pg_exporter_install() {
  if [ -x "$PG_EXPORTER_BIN" ]; then return 0; fi
  local t0
  t0=$(now)
  apt_install prometheus-postgres-exporter
  [ -x "$PG_EXPORTER_BIN" ] || die "prometheus-postgres-exporter installed but $PG_EXPORTER_BIN is missing"
  ok "prometheus-postgres-exporter $(pg_exporter_version) installed" "$t0"
}

# Up when it answers and reaches PostgreSQL (pg_up 1): an exporter without its database is not.
pg_exporter_health() {
  curl -fs --max-time 3 "http://127.0.0.1:$PG_EXPORTER_PORT/metrics" 2>/dev/null | grep -q '^pg_up 1'
}

pg_exporter_start() {
  local t0
  t0=$(now)
  if [ -n "$(part_pid pg_exporter)" ]; then
    wait_ready pg_exporter 30 pg_exporter_health || return 1
    info "pg_exporter already running (pid $(part_pid pg_exporter))"
    return 0
  fi
  require_free_port pg_exporter "$PG_EXPORTER_PORT"
  pg_exporter_install
  # The DSN goes through the environment, not the command line (ps shows arguments to everyone).
  DATA_SOURCE_NAME=$PG_EXPORTER_DSN start_bg pg_exporter "$PG_EXPORTER_BIN" \
    --web.listen-address="127.0.0.1:$PG_EXPORTER_PORT" \
    --extend.query-path="$PG_EXPORTER_QUERIES" \
    --log.level=warn
  wait_ready pg_exporter "$READY_TIMEOUT" pg_exporter_health || return 1
  ok "pg_exporter $(pg_exporter_version) ready on 127.0.0.1:$PG_EXPORTER_PORT (pid $(part_pid pg_exporter))" "$t0"
}

pg_exporter_up() { pg_exporter_start; }
pg_exporter_stop() { stop_part pg_exporter TERM 10; }
