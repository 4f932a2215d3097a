#!/usr/bin/env bash
# Every check: type-check, lint, then unit, integration and end-to-end tests against real nats-server processes.
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"

if ! command -v nats-server >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing nats-server (Debian package)" >&2
    apt-get update -qq >&2 && apt-get install -y -qq nats-server >&2
  else
    echo "test: the tests start their own nats-server processes; install nats-server and put it on PATH" >&2
    exit 1
  fi
fi

echo "== typecheck"; pnpm -s typecheck
echo "== lint"; pnpm -s lint
echo "== tests"
status=0
pnpm -s vitest run --reporter=default --reporter=json --outputFile=.vitest-report.json || status=$?
node scripts/test-summary.ts .vitest-report.json
exit "$status"
