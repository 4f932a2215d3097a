#!/usr/bin/env bash
# Every check: type-check, lint, then unit, integration and end-to-end tests against real nats-servers:
# in containers when Docker answers, else as processes (test/setup/nats-harness.ts decides; the summary says which).
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"

[ -n "${NATS_SERVER_BIN:-}" ] || { echo "test: the tests run their own nats-server $nats_floor+ (as processes, or in containers built from it), and none was found or fetched" >&2; exit 1; }

echo "== typecheck"; pnpm -s typecheck
echo "== lint"; pnpm -s lint
echo "== tests"
# Every node process the tests start (the CLI, services) shares one cache of compiled modules, rather than stripping and compiling each file again.
export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-$root/.tooling/compile-cache}"
status=0
rm -f .vitest-report.json .vitest-harness.json
SIGNALBOX_TEST_HARNESS_REPORT=.vitest-harness.json pnpm -s vitest run --reporter=default --reporter=json --outputFile=.vitest-report.json || status=$?
node scripts/test-summary.ts .vitest-report.json .vitest-harness.json
exit "$status"
