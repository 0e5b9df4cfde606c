# shellcheck shell=bash
# k6 built with `go install` into EVENTSCOPE_CACHE/bin: installed only, run by the load tests.

K6_VERSION=${K6_VERSION:-v1.8.1}
K6_BIN=$BIN_DIR/k6

k6_version() { echo "${K6_VERSION#v}"; }
k6_ports() { echo "-"; }

k6_installed() { [ -x "$K6_BIN" ] && [ "$(go_module_version "$K6_BIN")" = "$K6_VERSION" ]; }

k6_install() {
  k6_installed && return 0
  require_go k6
  cache_lock
  if k6_installed; then
    cache_unlock
    return 0
  fi
  local t0 log=$LOG_DIR/k6-build.log
  t0=$(now)
  info "building k6 $K6_VERSION with go install; log: $log"
  if ! GOTOOLCHAIN=local GOBIN=$BIN_DIR go install "go.k6.io/k6@$K6_VERSION" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "go install go.k6.io/k6@$K6_VERSION failed (log: $log)"
  fi
  cache_unlock
  ok "k6 $K6_VERSION built into $K6_BIN" "$t0"
}

k6_health() { [ -x "$K6_BIN" ] && "$K6_BIN" version >/dev/null 2>&1; }

k6_up() {
  local t0
  t0=$(now)
  k6_install
  ok "k6 $(k6_version) installed at $K6_BIN" "$t0"
}

k6_stop() { :; }
