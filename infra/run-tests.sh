#!/usr/bin/env bash
# `make test`: lint, start the infrastructure (remembering what was already running), run every
# vitest project (unit, int, e2e), stop what this run started, print `N passed, N failed`.
# Exit code: vitest's (1 when lint fails, the infrastructure does not start or no test ran).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
REPO_DIR=$PWD
export EVENTSCOPE_HOME=${EVENTSCOPE_HOME:-$REPO_DIR/.eventscope}
export EVENTSCOPE_CACHE=${EVENTSCOPE_CACHE:-$HOME/.cache/eventscope}
PATH=$(infra/ensure-node.sh):$REPO_DIR/node_modules/.bin:$PATH
export PATH
RESULTS=$EVENTSCOPE_HOME/test-results.json
mkdir -p "$EVENTSCOPE_HOME"

t_start=$SECONDS
step() { printf '\n▶ %s\n' "$1"; }
summary_fail() { # reason
  printf '\n%s\n' "$1" >&2
  echo "0 passed, 1 failed"
  exit 1
}

# --- 1. lint ----------------------------------------------------------------------------------
step "lint: tsc, eslint, prettier"
lint_log=$(mktemp)
lint_ok=1
if [ -n "${EVENTSCOPE_SKIP_LINT:-}" ]; then
  # For debugging the test run only: `make test` proper always lints.
  echo "EVENTSCOPE_SKIP_LINT is set: lint SKIPPED" >"$lint_log"
  lint_ok=2
fi
if [ $lint_ok = 1 ]; then { tsc -p tsconfig.json && echo "tsc ok"; } >"$lint_log" 2>&1 || lint_ok=0; fi
if [ $lint_ok = 1 ]; then { eslint --max-warnings 0 . && echo "eslint ok"; } >>"$lint_log" 2>&1 || lint_ok=0; fi
if [ $lint_ok = 1 ]; then { prettier --check . --log-level warn && echo "prettier ok"; } >>"$lint_log" 2>&1 || lint_ok=0; fi
cat "$lint_log"
rm -f "$lint_log"
[ $lint_ok != 0 ] || summary_fail "lint failed (see above)"

# --- 2. infrastructure --------------------------------------------------------------------------
step "infrastructure"
mapfile -t already < <(infra/native.sh running 2>/dev/null)
started=()
services_started=()
# shellcheck disable=SC2317 # called by the EXIT trap
stop_started() {
  if [ ${#services_started[@]} -gt 0 ]; then
    step "stopping the services this run started: ${services_started[*]}"
    services/stack.sh stop "${services_started[@]}" || true
  fi
  if [ ${#started[@]} -gt 0 ]; then
    step "stopping what this run started: ${started[*]}"
    infra/native.sh down "${started[@]}" || true
  fi
}
trap stop_started EXIT
trap 'exit 130' INT TERM

[ ${#already[@]} -gt 0 ] && echo "already running (left as is): ${already[*]}"
up_ok=1
infra/native.sh up || up_ok=0
mapfile -t now_running < <(infra/native.sh running 2>/dev/null)
for p in "${now_running[@]}"; do
  case " ${already[*]} " in *" $p "*) ;; *) started+=("$p") ;; esac
done
[ $up_ok = 1 ] || summary_fail "the infrastructure did not start (see above; logs: $EVENTSCOPE_HOME/logs)"

# The browser tests (the load report, Swagger UI on the gateway) drive Debian's chromium.
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] && command -v apt-get >/dev/null; then
  step "chromium (Debian's package, for the browser tests)"
  { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; } \
    >"$EVENTSCOPE_HOME/apt-chromium.log" 2>&1 || echo "chromium not installed: see $EVENTSCOPE_HOME/apt-chromium.log"
fi

# The end-to-end tier runs against the stack on its default ports, as `make up` starts it.
step "services (for the end-to-end tests)"
mapfile -t services_already < <(services/stack.sh running 2>/dev/null)
if [ ${#services_already[@]} -gt 0 ]; then
  echo "already running (left as is; the e2e tests run against them): ${services_already[*]}"
fi
stack_ok=1
# Supervisors check every 2 s here (5 s by default), so the fault suite's hung service is caught
# in ~6 s rather than 15.
SUPERVISE_LIVE_INTERVAL=${SUPERVISE_LIVE_INTERVAL:-2} services/stack.sh up >/dev/null || stack_ok=0
mapfile -t services_now < <(services/stack.sh running 2>/dev/null)
for s in "${services_now[@]}"; do
  case " ${services_already[*]} " in *" $s "*) ;; *) services_started+=("$s") ;; esac
done
[ ${#services_started[@]} -eq 0 ] || echo "started: ${services_started[*]}"
[ $stack_ok = 1 ] || summary_fail "the services did not start (logs: $EVENTSCOPE_HOME/logs/<service>.log)"

# --- 3. tests -------------------------------------------------------------------------------------
step "vitest run (unit, int, e2e)"
rm -f "$RESULTS"
vitest run
code=$?

# --- 4. summary -----------------------------------------------------------------------------------
if [ ! -s "$RESULTS" ]; then
  summary_fail "vitest wrote no results ($RESULTS), exit code $code"
fi
# The counts, then what failed (by file and name with the first line of its error), printed just
# above the summary: a log read from its tail shows which test it was.
summary=$(node "$REPO_DIR/infra/src/test-summary.ts" "$RESULTS" "$REPO_DIR") || summary_fail "cannot read $RESULTS"
read -r total passed failed skipped failed_suites <<<"${summary%%$'\n'*}"
failures=""
[[ $summary != *$'\n'* ]] || failures=${summary#*$'\n'}

if [ "$total" = 0 ]; then
  summary_fail "vitest ran no test at all"
fi
# A file that fails to load (or a failing globalSetup) fails no test, but fails the run.
if [ "$code" != 0 ] && [ "$failed" = 0 ]; then failed=$((failed_suites > 0 ? failed_suites : 1)); fi
if [ "$code" = 0 ] && [ "$failed_suites" != 0 ]; then code=1; fi
text="$passed passed, $failed failed"
[ "$skipped" = 0 ] || text="$text, $skipped skipped"
if [ -n "$failures" ]; then printf '\nfailed:\n%s\n' "$failures"; fi
printf '\n(%ss in all)\n' "$((SECONDS - t_start))"
echo "$text"
exit "$code"
