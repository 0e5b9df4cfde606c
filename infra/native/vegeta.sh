# shellcheck shell=bash
# vegeta (MIT), the native load engine, built with `go install` into EVENTSCOPE_CACHE/bin:
# installed only, run by the load tests (loadtests/src/native). k6 (AGPL-3.0) is never fetched
# or built here: the scenarios run on it only where the user has installed it.

VEGETA_VERSION=${VEGETA_VERSION:-v12.13.0}
VEGETA_BIN=$BIN_DIR/vegeta

vegeta_version() { echo "${VEGETA_VERSION#v}"; }
vegeta_ports() { echo "-"; }

vegeta_installed() { [ -x "$VEGETA_BIN" ] && [ "$(go_module_version "$VEGETA_BIN")" = "$VEGETA_VERSION" ]; }

vegeta_install() {
  vegeta_installed && return 0
  require_go vegeta
  cache_lock
  if vegeta_installed; then
    cache_unlock
    return 0
  fi
  local t0 log=$LOG_DIR/vegeta-build.log
  t0=$(now)
  info "building vegeta $VEGETA_VERSION with go install; log: $log"
  if ! GOTOOLCHAIN=local GOBIN=$BIN_DIR go install "github.com/tsenart/vegeta/v12@$VEGETA_VERSION" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "go install github.com/tsenart/vegeta/v12@$VEGETA_VERSION failed (log: $log)"
  fi
  cache_unlock
  ok "vegeta $VEGETA_VERSION built into $VEGETA_BIN" "$t0"
}

vegeta_health() { [ -x "$VEGETA_BIN" ] && "$VEGETA_BIN" -version >/dev/null 2>&1; }

vegeta_up() {
  local t0
  t0=$(now)
  vegeta_install
  ok "vegeta $(vegeta_version) installed at $VEGETA_BIN" "$t0"
}

vegeta_stop() { :; }
