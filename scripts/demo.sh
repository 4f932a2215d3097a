#!/usr/bin/env bash
# The demo: a scripted agent (no API key) runs end to end on NATS; its timeline prints live.
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
echo "demo: starting the runtime (every service in one process, and a nats-server if none answers) …" >&2
exec node packages/cli/src/main.ts demo "$@"
