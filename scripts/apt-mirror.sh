# Sourced by the scripts that fetch Debian's packages without changing this machine's sources
# (nats-server.sh, node-base-image.sh). apt_mirror prints the first archive mirror in the machine's own
# apt sources (deb822 `URIs:` or one-line `deb` entries), leaving out security mirrors, which carry
# neither the unstable suite nor a whole release.
apt_mirror() {
  {
    awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' /etc/apt/sources.list.d/*.sources 2>/dev/null
    awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; break } }' \
      /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
  } | grep -v -i security | head -n1
}
