# shellcheck shell=bash
# The SMTP sink (infra/src/mail-sink.ts): SMTP on 127.0.0.1:$SMTP_PORT and a Mailpit-compatible
# HTTP API on 127.0.0.1:$MAIL_API_PORT; messages kept as .eml files under EVENTSCOPE_HOME/mail.

MAIL_DIR=$EVENTSCOPE_HOME/mail

smtp_version() {
  local v
  v=$(node -p 'require("smtp-server/package.json").version' 2>/dev/null || echo "?")
  echo "smtp-server $v"
}
smtp_ports() { echo "$SMTP_PORT,$MAIL_API_PORT"; }

smtp_health() {
  port_open "$SMTP_PORT" && http_ok "http://127.0.0.1:$MAIL_API_PORT/readyz"
}

smtp_start() {
  local t0
  t0=$(now)
  if [ -n "$(part_pid smtp)" ]; then
    wait_ready smtp 30 smtp_health || return 1
    info "smtp already running (pid $(part_pid smtp))"
    return 0
  fi
  require_free_port smtp "$SMTP_PORT"
  require_free_port smtp "$MAIL_API_PORT"
  [ -d "$REPO_DIR/node_modules/smtp-server" ] || die "smtp: node_modules/smtp-server missing: run \`make install\`"
  mkdir -p "$MAIL_DIR"
  start_bg smtp env MAIL_DIR="$MAIL_DIR" SMTP_PORT="$SMTP_PORT" MAIL_API_PORT="$MAIL_API_PORT" \
    node "$INFRA_DIR/src/mail-sink.ts"
  wait_ready smtp "$READY_TIMEOUT" smtp_health || return 1
  ok "smtp sink ready: SMTP 127.0.0.1:$SMTP_PORT, API http://127.0.0.1:$MAIL_API_PORT (pid $(part_pid smtp))" "$t0"
}

smtp_up() { smtp_start; }
smtp_stop() { stop_part smtp TERM 10; }
