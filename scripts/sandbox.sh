# Sourced by .ci/run (and scripts/bootstrap.sh, which only reports): makes shell.exec's sandbox available
# when this machine can have it. Installs Debian's bubblewrap when bwrap is missing (as root, with apt-get).
# Never fails: without it shell.exec's tests skip, saying why, and executors here do not offer the tool.

sandbox_present() { command -v bwrap >/dev/null 2>&1; }

# Whether bwrap can make a sandbox here: installed is not enough when user namespaces are off.
sandbox_works() { sandbox_present && bwrap --unshare-all --die-with-parent --ro-bind / / --proc /proc --dev /dev true >/dev/null 2>&1; }

install_sandbox() {
  sandbox_present && return 0
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || { echo "sandbox: no bwrap, and only root with apt-get installs it (apt-get install bubblewrap)" >&2; return 0; }
  echo "sandbox: installing Debian's bubblewrap" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap; } >&2 || echo "sandbox: could not install bubblewrap; shell.exec's tests will skip" >&2
}

report_sandbox() {
  if sandbox_works; then return 0; fi
  if sandbox_present; then echo "sandbox: bwrap cannot make a sandbox here (user namespaces off?); shell.exec's tests will skip" >&2
  else echo "sandbox: bwrap is not installed (scripts/sandbox.sh installs it as root); shell.exec's tests will skip" >&2; fi
}
