# Sourced by the other scripts: puts Node 24+, pnpm and a current nats-server on PATH and installs the workspace.
# Uses the system Node when it is new enough; otherwise installs Node 24 from the npm registry into .tooling/.
# The nats-server comes from scripts/nats-server.sh (NATS_SERVER_BIN, .tooling/, PATH, or fetched into .tooling/).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tooling="$root/.tooling"

node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# A line per step on stderr, so a first run on a fresh machine is never silent for long.
say() { echo "bootstrap: $*" >&2; }

if [ -x "$tooling/node_modules/.bin/node" ] && [ "$(node_major "$tooling/node_modules/.bin/node")" -ge 24 ]; then
  export PATH="$tooling/node_modules/.bin:$PATH"
elif [ "$(node_major)" -lt 24 ]; then
  say "Node $(node --version 2>/dev/null || echo none) is older than 24; installing Node 24 and pnpm into .tooling/ (npm install) …"
  npm install --prefix "$tooling" --no-audit --no-fund --loglevel=error node@24 pnpm@10 >&2
  export PATH="$tooling/node_modules/.bin:$PATH"
fi
if ! command -v pnpm >/dev/null 2>&1; then
  say "installing pnpm into .tooling/ (npm install) …"
  npm install --prefix "$tooling" --no-audit --no-fund --loglevel=error pnpm@10 >&2
  export PATH="$tooling/node_modules/.bin:$PATH"
fi

say "Node $(node --version); looking for a current nats-server …"
source "$root/scripts/nats-server.sh"
# Says so when shell.exec's sandbox (bubblewrap) cannot run here; installs nothing.
source "$root/scripts/sandbox.sh"
report_sandbox
# Says so when the console's browser tests cannot find Chromium; installs nothing.
source "$root/scripts/browser.sh"
report_browser

cd "$root"
say "pnpm install (the workspace's dependencies; the first time takes a while) …"
started=$SECONDS
pnpm install --frozen-lockfile --reporter=silent >&2
say "installed in $((SECONDS - started)) s"
# The web console the gateway serves at / (services/gateway/console/dist): a second or two.
pnpm -s --filter @signalbox/console build >&2
