# Sourced by .ci/run (and scripts/bootstrap.sh, which only reports): makes the console's browser tests
# (test/browser) runnable when this machine can have a browser. Installs Debian's Chromium when
# /usr/bin/chromium is missing (as root, with apt-get). Never fails: without it those tests skip, saying why.

browser_bin=/usr/bin/chromium

browser_present() { [ -x "$browser_bin" ]; }

install_browser() {
  browser_present && return 0
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || { echo "browser: no $browser_bin, and only root with apt-get installs it (apt-get install chromium); the console's browser tests will skip" >&2; return 0; }
  echo "browser: installing Debian's chromium" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation; } >&2 || echo "browser: could not install chromium; the console's browser tests will skip" >&2
}

report_browser() {
  browser_present || echo "browser: $browser_bin is not installed (scripts/browser.sh installs it as root); the console's browser tests will skip" >&2
}
