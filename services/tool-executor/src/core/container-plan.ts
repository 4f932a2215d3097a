import { baseEnvironment, sandboxWorkdir, type SandboxCommand, type SandboxLimits } from './sandbox-plan.ts';

/** The image `scripts/shell-image.sh` builds from Debian's busybox-static: a shell and its applets, nothing else. */
export const defaultShellImage = 'signalbox-shell:busybox';

/** Where the docker CLI is looked for: the base search path, never the executor's. */
export const dockerCliEnvironment: Readonly<Record<string, string>> = { PATH: baseEnvironment.PATH ?? '/usr/bin:/bin' };

export interface ContainerPlan {
  image: string;
  /** The container's name, unique to the call: what the executor kills and removes it by. */
  name: string;
  /** The call's scratch directory on the host, bound at /workspace: the only writable place shared with it. */
  scratchDir: string;
  command: string;
  limits: SandboxLimits;
  /** The uid and gid the command runs as (never root: the container drops every capability besides). */
  user: { uid: number; gid: number };
  /** Secret values by name, as environment variables. */
  secrets: Readonly<Record<string, string>>;
}

/**
 * The `docker run` that runs `plan.command` in a container of its own: no network, a read-only root, a
 * sized /tmp, the scratch directory at /workspace, no capabilities, and the limits as cgroup limits
 * (memory and processes for the container as a whole) and rlimits. Secrets are named in the arguments
 * (`-e NAME`) and their values put in the docker CLI's own environment, which it passes on: arguments are
 * readable by every process on the host, an environment only by its owner.
 */
export function containerCommand(plan: ContainerPlan): SandboxCommand {
  const secrets = containerSecrets(plan.secrets);
  const { limits } = plan;
  const args = [
    'run',
    '--rm',
    '--name', plan.name,
    // A pid 1 that passes SIGTERM to the command: a shell as pid 1 would never see one it does not trap.
    '--init',
    '--network', 'none',
    '--hostname', 'sandbox',
    '--read-only',
    '--tmpfs', `/tmp:size=${limits.tmpBytes},mode=1777`,
    '--memory', String(limits.memoryBytes),
    '--memory-swap', String(limits.memoryBytes),
    '--pids-limit', String(limits.processes),
    '--cpus', '1',
    '--ulimit', `cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
    '--ulimit', `fsize=${limits.fileBytes}:${limits.fileBytes}`,
    '--ulimit', `nofile=${limits.openFiles}:${limits.openFiles}`,
    '--ulimit', 'core=0',
    '--user', `${plan.user.uid}:${plan.user.gid}`,
    '--cap-drop', 'ALL',
    '--security-opt', 'no-new-privileges',
    // The output is read from the CLI, capped there: the daemon keeps no log of its own to fill a disk.
    '--log-driver', 'none',
    '--mount', `type=bind,source=${plan.scratchDir},target=${sandboxWorkdir}`,
    '--workdir', sandboxWorkdir,
    ...Object.entries(baseEnvironment).flatMap(([name, value]) => ['--env', `${name}=${value}`]),
    ...Object.keys(secrets).flatMap((name) => ['--env', name]),
    plan.image,
    '/bin/sh', '-c', plan.command,
  ];
  return { file: 'docker', args, env: { ...secrets, ...dockerCliEnvironment } };
}

/**
 * The secrets the container gets: not one named like a base variable (a `PATH` secret is not the search
 * path, as in bubblewrap), and none the docker CLI itself would read (`DOCKER_HOST` would send it elsewhere).
 */
function containerSecrets(secrets: Readonly<Record<string, string>>): Record<string, string> {
  const cliOwn = Object.keys(secrets).filter((name) => name.startsWith('DOCKER_'));
  if (cliOwn.length > 0) throw new Error(`shell.exec's container backend cannot pass the secrets ${cliOwn.join(', ')}: the docker CLI reads variables of those names itself`);
  return Object.fromEntries(Object.entries(secrets).filter(([name]) => !(name in baseEnvironment)));
}

/** The command's container's name: a prefix `docker ps` shows for what it is, and the call's own random part. */
export function containerName(random: string): string {
  return `signalbox-shell-${random}`;
}
