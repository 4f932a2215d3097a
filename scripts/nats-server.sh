# Sourced by bootstrap.sh: finds a nats-server at or above the project's floor and exports
# NATS_SERVER_BIN (and puts its folder first on PATH). In order: NATS_SERVER_BIN as given; the one
# in .tooling/nats-server; the one on PATH when it is new enough; else Debian unstable's package,
# downloaded (never installed) with a private apt sources list whose mirror is this machine's own,
# and unpacked into .tooling/nats-server. Nothing outside the project's folder is changed.
# Run directly with a command (`bash scripts/nats-server.sh node test/bench/run.ts`), it runs that command with it.
root="${root:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
nats_floor="2.12.0"
nats_tooling="$root/.tooling/nats-server"
# apt_mirror: this machine's own Debian mirror.
source "$root/scripts/apt-mirror.sh"

nats_version_of() { "$1" --version 2>/dev/null | sed -n 's/^nats-server: v\{0,1\}\([0-9][0-9.]*\).*/\1/p'; }

# True when version $1 is at or above $2.
version_at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

nats_is_current() {
  local version
  version="$(nats_version_of "$1")"
  [ -n "$version" ] && version_at_least "$version" "$nats_floor"
}

fetch_nats_server() {
  local mirror keyring apt_dir
  mirror="$(apt_mirror)"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  if [ -z "$mirror" ] || ! command -v apt-get >/dev/null || [ ! -r "$keyring" ]; then
    echo "nats-server: none at or above $nats_floor found, and no Debian apt mirror to fetch one from;" \
      "install nats-server $nats_floor+ from your system's packages or the NATS project's releases, and set NATS_SERVER_BIN" >&2
    return 1
  fi
  apt_dir="$root/.tooling/apt"
  rm -rf "$apt_dir" && mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  echo "deb [signed-by=$keyring] $mirror unstable main" >"$apt_dir/sources.list"
  local options=(-qq -o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o Dir::Etc::sourceparts=-
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o APT::Sandbox::User=root)
  echo "nats-server: fetching Debian unstable's package from $mirror into .tooling/" >&2
  apt-get "${options[@]}" update >&2 &&
    (cd "$apt_dir" && apt-get "${options[@]}" download nats-server >&2) &&
    rm -rf "$nats_tooling" && dpkg-deb -x "$apt_dir"/nats-server_*.deb "$nats_tooling" || return 1
  rm -rf "$apt_dir"
  nats_is_current "$nats_tooling/usr/sbin/nats-server" || {
    echo "nats-server: Debian unstable ships $(nats_version_of "$nats_tooling/usr/sbin/nats-server"), older than $nats_floor" >&2
    return 1
  }
}

find_nats_server() {
  if [ -n "${NATS_SERVER_BIN:-}" ]; then
    nats_is_current "$NATS_SERVER_BIN" || echo "nats-server: NATS_SERVER_BIN is $(nats_version_of "$NATS_SERVER_BIN"), older than $nats_floor; Signalbox will refuse it" >&2
    return 0
  fi
  local candidate
  for candidate in "$nats_tooling/usr/sbin/nats-server" "$(command -v nats-server || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && nats_is_current "$candidate"; then
      NATS_SERVER_BIN="$candidate"
      return 0
    fi
  done
  fetch_nats_server && NATS_SERVER_BIN="$nats_tooling/usr/sbin/nats-server"
}

# Without one, the demo still runs against a current server at NATS_URL or 127.0.0.1:4222; the tests cannot.
if find_nats_server; then
  export NATS_SERVER_BIN
  export PATH="$(dirname "$NATS_SERVER_BIN"):$PATH"
  echo "nats-server: $(nats_version_of "$NATS_SERVER_BIN") ($NATS_SERVER_BIN)" >&2
fi

if [ "${BASH_SOURCE[0]}" = "$0" ] && [ $# -gt 0 ]; then exec "$@"; fi
