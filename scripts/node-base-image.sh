#!/usr/bin/env bash
# Makes a Node 24 image to build the Dockerfile against where no image can be pulled: a Debian root
# from Debian's packages (debootstrap, this machine's release, from the mirror in its own apt sources)
# with Node 24 and npm from the npm registry (npm), laid out as the official Node images lay them out.
# Prints its tag, signalbox-base/node:<node>-<suite>-<hash>: the hash is of every input (the release,
# Node's and npm's versions, this script), so an image already made from the same inputs is reused.
# Needs root for debootstrap (installed from the machine's own sources when missing) and Docker.
# A machine that reaches the registry through a proxy of its own names that proxy's CA in
# NODE_EXTRA_CA_CERTS: the image then trusts it too, as npm in a build must (it is an input as well).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/apt-mirror.sh"

say() { echo "node-base-image: $*" >&2; }

# The newest release of a major version on the npm registry.
newest() {
  npm view "$1@$2" version --json | node -e '
    const versions = [].concat(JSON.parse(require("fs").readFileSync(0, "utf8")));
    const parts = (version) => version.split(".").map(Number);
    versions.sort((a, b) => parts(a).reduce((order, part, i) => order || part - parts(b)[i], 0));
    console.log(versions.at(-1));'
}

suite="$(. /etc/os-release && echo "${VERSION_CODENAME:?this is not a Debian release with a code name}")"
node_version="$(newest node 24)"
npm_version="$(newest npm 11)"
extra_ca="${NODE_EXTRA_CA_CERTS:-}"
[ -z "$extra_ca" ] || [ -r "$extra_ca" ] || { say "NODE_EXTRA_CA_CERTS names $extra_ca, which cannot be read"; exit 1; }
hash="$({ echo "$suite $node_version $npm_version"; cat "${BASH_SOURCE[0]}" ${extra_ca:+"$extra_ca"}; } | sha256sum | cut -c1-12)"
tag="signalbox-base/node:$node_version-$suite-$hash"
if docker image inspect "$tag" >/dev/null 2>&1; then echo "$tag"; exit 0; fi

# A missing sources file fails one of apt_mirror's reads, not the search.
mirror="$(apt_mirror || true)"
[ -n "$mirror" ] || { say "no Debian mirror in this machine's apt sources"; exit 1; }
if ! command -v debootstrap >/dev/null; then
  [ "$(id -u)" = 0 ] || { say "debootstrap is missing, and only root installs it"; exit 1; }
  say "installing Debian's debootstrap"
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
started=$SECONDS
say "debootstrap $suite (minbase) from $mirror …"
debootstrap --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
say "Node $node_version and npm $npm_version from the npm registry …"
npm install --prefix "$work/npm" --no-audit --no-fund --loglevel=error "node@$node_version" "npm@$npm_version" >&2
install -D -m 0755 "$(readlink -f "$work/npm/node_modules/.bin/node")" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules"
cp -a "$work/npm/node_modules/npm" "$rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
ca_env=()
if [ -n "$extra_ca" ]; then
  install -D -m 0644 "$extra_ca" "$rootfs/usr/local/share/ca-certificates/extra.crt"
  ca_env=(-c "ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/extra.crt")
fi
# What an image needs no copy of: apt's downloaded lists and packages, documentation.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
tar -C "$rootfs" --numeric-owner -c . |
  docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' -c "ENV NODE_VERSION=$node_version" "${ca_env[@]}" -c 'CMD ["node"]' - "$tag" >/dev/null
say "built $tag in $((SECONDS - started)) s"
echo "$tag"
