# Measures Signalbox beside its durable peers (test/bench/peers.ts): installs them into .tooling/peers the first time,
# from test/bench/peers/package.json and its lockfile (Restate's server and SDK, LangGraph.js with its SQLite
# checkpointer), then runs the benchmark in a network namespace of its own, loopback only, so that nothing it
# starts reaches any other address (Restate's server looks for a newer release on GitHub when it starts).
#   bash scripts/peers.sh      (pnpm bench:peers; env as test/bench/peers.ts takes it)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/nats-server.sh"
source "$root/scripts/sandbox.sh"

peers="$root/.tooling/peers"
manifest="$root/test/bench/peers"

install_peers() {
  if cmp -s "$manifest/package-lock.json" "$peers/package-lock.json" && [ -d "$peers/node_modules" ]; then return 0; fi
  echo "peers: installing Restate and LangGraph.js into .tooling/peers (npm ci) …" >&2
  rm -rf "$peers"
  mkdir -p "$peers"
  cp "$manifest/package.json" "$manifest/package-lock.json" "$peers/"
  # No install scripts: Restate's server package pulls in an analytics reporter that runs at install, and
  # better-sqlite3 (13 on: Node-API) ships its binaries prebuilt. Nothing here needs building.
  (cd "$peers" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
}

install_peers
install_sandbox
if ! sandbox_works; then
  echo "peers: bwrap cannot make a network namespace here; the peers benchmark runs only inside one (loopback only)" >&2
  exit 1
fi
cd "$root"
# nats-server as a process, as for every benchmark: a container would sit outside the namespace.
export SIGNALBOX_TEST_HARNESS=process
exec bwrap --dev-bind / / --unshare-net --die-with-parent node test/bench/peers.ts "$@"
