# Sourced by .ci/run: makes a Docker daemon answer when this machine can run one, so that the tests
# start nats-server in containers. Installs Debian's docker.io when dockerd is missing (as root), and
# starts dockerd in the background when it is not running. Never fails: without Docker the tests run
# nats-server as processes, and their summary says why.
docker_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
docker_log="$docker_root/.tooling/dockerd.log"
docker_wait_s=60
# The pid of the dockerd this script started, for stop_started_docker.
docker_started=""

docker_answers() { command -v docker >/dev/null && timeout 10 docker info >/dev/null 2>&1; }

install_docker() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || { echo "docker: no dockerd, and only root with apt-get installs it" >&2; return 1; }
  echo "docker: installing Debian's docker.io" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >&2
}

start_docker() {
  if docker_answers; then return 0; fi
  command -v dockerd >/dev/null || install_docker || return 0
  # The package may have started it.
  if docker_answers; then return 0; fi
  [ "$(id -u)" = 0 ] || { echo "docker: the daemon is not running, and only root starts it here" >&2; return 0; }
  mkdir -p "$(dirname "$docker_log")"
  # The test containers use the host's network only: without a bridge or iptables rules the daemon
  # needs less of the machine to start, and no container gets a network beyond loopback.
  dockerd --bridge=none --iptables=false >"$docker_log" 2>&1 &
  docker_started=$!
  local deadline=$((SECONDS + docker_wait_s))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if docker_answers; then echo "docker: started dockerd (log: .tooling/dockerd.log)" >&2 && return 0; fi
    kill -0 "$docker_started" 2>/dev/null || break
    sleep 1
  done
  echo "docker: dockerd did not answer (log: .tooling/dockerd.log); the tests will run nats-server as processes" >&2
}

# Debian's docker-compose, for the compose stack's test (test/deploy/containers.test.ts): as docker.io is
# installed. Never fails: without it that test is skipped, and says why.
install_compose() {
  command -v docker-compose >/dev/null && return 0
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || { echo "docker: no docker-compose, and only root with apt-get installs it" >&2; return 0; }
  echo "docker: installing Debian's docker-compose" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >&2 || echo "docker: docker-compose did not install" >&2
}

stop_started_docker() {
  [ -n "$docker_started" ] || return 0
  kill "$docker_started" 2>/dev/null && wait "$docker_started" 2>/dev/null || true
}
