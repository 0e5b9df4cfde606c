# shellcheck shell=bash
# Jaeger v2 (all-in-one, in-memory storage) built from source with Go into EVENTSCOPE_CACHE.
#
# The Go module github.com/jaegertracing/jaeger only knows the v1.x tags (Jaeger tags v1.x and
# v2.x on the same commits); v1.76.0 is Jaeger v2.13.0. Its go.mod has a replace directive, so
# `go install ...@v1.76.0` is refused, and the Go proxy here refuses commit pseudo-versions.
# Recipe: a throwaway module that requires it and repeats the replace, then go build. The
# module's own go.sum seeds ours: the checksum database does not answer for some of its
# dependencies here, and those sums are the ones Jaeger's release was built and tested with.

JAEGER_MODULE_VERSION=${JAEGER_MODULE_VERSION:-v1.76.0}
JAEGER_RELEASE=${JAEGER_RELEASE:-2.13.0} # the v2 release of that commit (also the compose image tag)
JAEGER_BIN=$BIN_DIR/jaeger
# The in-memory store keeps this many traces and drops the oldest beyond it. Jaeger's own default
# (100,000) held 1.9 GiB after ten minutes at 1,000 events/s (about 19 KB a trace here), more than
# the whole stack's memory budget (2 GiB): 10,000 (~190 MB) keeps the last ~10 s at 1,000/s, or
# 50 s at 200/s: the console's journeys and the tests look traces up seconds after the event.
export JAEGER_MAX_TRACES=${JAEGER_MAX_TRACES:-10000}
JAEGER_BUILD=$EVENTSCOPE_CACHE/build/jaeger

jaeger_version() { echo "$JAEGER_RELEASE"; }
jaeger_ports() { echo "$JAEGER_OTLP_GRPC_PORT,$JAEGER_OTLP_HTTP_PORT,$JAEGER_QUERY_PORT,$JAEGER_HEALTH_PORT,$JAEGER_METRICS_PORT"; }

jaeger_installed() { [ -x "$JAEGER_BIN" ] && [ "$(go_module_version "$JAEGER_BIN")" = "$JAEGER_MODULE_VERSION" ]; }

jaeger_install() {
  jaeger_installed && return 0
  require_go jaeger
  cache_lock
  if jaeger_installed; then
    cache_unlock
    return 0
  fi
  local t0 log=$LOG_DIR/jaeger-build.log
  t0=$(now)
  info "building jaeger $JAEGER_RELEASE (module $JAEGER_MODULE_VERSION) with Go; this takes minutes, log: $log"
  mkdir -p "$JAEGER_BUILD"
  (
    set -e
    cd "$JAEGER_BUILD"
    export GOTOOLCHAIN=local GOFLAGS=-mod=mod
    cat >go.mod <<MOD
module eventscope.local/jaeger-build

go 1.25

replace github.com/Shopify/sarama => github.com/Shopify/sarama v1.33.0
MOD
    rm -f go.sum
    dir=$(go mod download -json "github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION" | awk -F'"' '$2 == "Dir" { print $4 }')
    [ -f "$dir/go.sum" ] && cat "$dir/go.sum" >go.sum
    go get "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_MODULE_VERSION"
    go build -trimpath -o "$JAEGER_BIN.tmp" github.com/jaegertracing/jaeger/cmd/jaeger
    mv "$JAEGER_BIN.tmp" "$JAEGER_BIN"
  ) >"$log" 2>&1 || {
    tail -n 30 "$log" >&2
    die "building jaeger failed (log: $log)"
  }
  cache_unlock
  ok "jaeger $JAEGER_RELEASE built into $JAEGER_BIN" "$t0"
}

jaeger_health() {
  http_ok "http://127.0.0.1:$JAEGER_HEALTH_PORT/status" && http_ok "http://127.0.0.1:$JAEGER_QUERY_PORT/api/services"
}

jaeger_start() {
  local t0
  t0=$(now)
  if [ -n "$(part_pid jaeger)" ]; then
    wait_ready jaeger 30 jaeger_health || return 1
    info "jaeger already running (pid $(part_pid jaeger))"
    return 0
  fi
  local p
  for p in ${JAEGER_OTLP_GRPC_PORT} ${JAEGER_OTLP_HTTP_PORT} ${JAEGER_QUERY_PORT} ${JAEGER_HEALTH_PORT} ${JAEGER_METRICS_PORT}; do
    require_free_port jaeger "$p"
  done
  jaeger_install
  # No --config: the embedded all-in-one configuration (memory storage, bounded by
  # JAEGER_MAX_TRACES). JAEGER_LISTEN_HOST
  # binds its endpoints to loopback; the query endpoints have no such variable (they default
  # to all interfaces), so --set binds them, and moves any port that is overridden.
  local -a sets=(
    "--set=extensions.jaeger_storage.backends.some_storage.memory.max_traces=$JAEGER_MAX_TRACES"
    "--set=extensions.jaeger_query.http.endpoint=127.0.0.1:$JAEGER_QUERY_PORT"
    "--set=extensions.jaeger_query.grpc.endpoint=127.0.0.1:${JAEGER_QUERY_GRPC_PORT:-16685}"
  )
  [ "$JAEGER_OTLP_GRPC_PORT" = 4317 ] || sets+=("--set=receivers.otlp.protocols.grpc.endpoint=127.0.0.1:$JAEGER_OTLP_GRPC_PORT")
  [ "$JAEGER_OTLP_HTTP_PORT" = 4318 ] || sets+=("--set=receivers.otlp.protocols.http.endpoint=127.0.0.1:$JAEGER_OTLP_HTTP_PORT")
  [ "$JAEGER_HEALTH_PORT" = 13133 ] || sets+=("--set=extensions.healthcheckv2.http.endpoint=127.0.0.1:$JAEGER_HEALTH_PORT")
  [ "$JAEGER_METRICS_PORT" = 8888 ] ||
    sets+=("--set=service.telemetry.metrics.readers=[{pull: {exporter: {prometheus: {host: 127.0.0.1, port: $JAEGER_METRICS_PORT}}}}]")
  start_bg jaeger env JAEGER_LISTEN_HOST=127.0.0.1 "$JAEGER_BIN" "${sets[@]}"
  wait_ready jaeger "$READY_TIMEOUT" jaeger_health || return 1
  ok "jaeger $JAEGER_RELEASE ready: OTLP 127.0.0.1:$JAEGER_OTLP_GRPC_PORT/$JAEGER_OTLP_HTTP_PORT, query :$JAEGER_QUERY_PORT (pid $(part_pid jaeger))" "$t0"
}

jaeger_up() { jaeger_start; }
jaeger_stop() { stop_part jaeger TERM 30; }
