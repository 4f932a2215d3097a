# Sourced by the other scripts: puts Node 24+, pnpm and a current nats-server on PATH and installs the workspace.
# Uses the system Node when it is new enough; otherwise installs Node 24 from the npm registry into .tooling/.
# The nats-server comes from scripts/nats-server.sh (NATS_SERVER_BIN, .tooling/, PATH, or fetched into .tooling/).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tooling="$root/.tooling"

node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ -x "$tooling/node_modules/.bin/node" ] && [ "$(node_major "$tooling/node_modules/.bin/node")" -ge 24 ]; then
  export PATH="$tooling/node_modules/.bin:$PATH"
elif [ "$(node_major)" -lt 24 ]; then
  echo "bootstrap: Node $(node --version 2>/dev/null || echo none) is older than 24; installing Node 24 and pnpm into .tooling/" >&2
  npm install --prefix "$tooling" --no-audit --no-fund --loglevel=error node@24 pnpm@10 >&2
  export PATH="$tooling/node_modules/.bin:$PATH"
fi
if ! command -v pnpm >/dev/null 2>&1; then
  npm install --prefix "$tooling" --no-audit --no-fund --loglevel=error pnpm@10 >&2
  export PATH="$tooling/node_modules/.bin:$PATH"
fi

source "$root/scripts/nats-server.sh"

cd "$root"
pnpm install --frozen-lockfile --reporter=silent >&2
