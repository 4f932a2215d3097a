#!/bin/sh
# Builds shell.exec's container image, signalbox-shell:busybox, from Debian's busybox-static package:
# no image is pulled (none can be here). A root of /bin/busybox and its applet links, nothing else.
# Usage: scripts/shell-image.sh [image]   (does nothing when the image is there already)
set -eu
image="${1:-signalbox-shell:busybox}"
docker image inspect "$image" >/dev/null 2>&1 && exit 0
work="$(mktemp -d)"
# apt-get download fetches as the _apt user, which must be able to write here.
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
cd "$work"
# The machine's own apt sources; `apt-get download` needs no root and installs nothing.
apt-get download -qq busybox-static >/dev/null 2>&1 || { echo "shell-image: apt-get download busybox-static failed" >&2; exit 1; }
dpkg -x busybox-static_*.deb pkg
mkdir -p rootfs/bin rootfs/tmp rootfs/workspace
# /tmp is a tmpfs in each container, which takes its mode from here: anyone may write, as on any system.
chmod 1777 rootfs/tmp
cp pkg/bin/busybox rootfs/bin/busybox
for applet in $(rootfs/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -s busybox "rootfs/bin/$applet"
done
tar -C rootfs --owner=0 --group=0 --numeric-owner -c . | docker import -c 'ENV PATH=/bin' - "$image" >/dev/null
echo "built $image" >&2
