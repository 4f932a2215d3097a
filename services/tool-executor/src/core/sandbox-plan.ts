import { z } from 'zod';

const positiveInt = z.number().int().positive();

/**
 * What one `shell.exec` command may use. Each is enforced by the kernel, not by watching: wall time
 * and output by the executor killing the sandbox's pid namespace, the rest as rlimits of every process
 * in it (`prlimit`), run as an unprivileged uid so that the process limit holds (root is exempt).
 */
export const SandboxLimits = z.object({
  /** From start to kill: the command is sent SIGTERM, then SIGKILL after `killGraceMs`. */
  wallTimeMs: positiveInt.default(60_000),
  /** How long a command told to stop may take to stop before the whole sandbox is killed. */
  killGraceMs: positiveInt.default(2_000),
  /** CPU seconds per process (RLIMIT_CPU): SIGXCPU at the limit, SIGKILL a second later. */
  cpuSeconds: positiveInt.default(30),
  /** Address space per process (RLIMIT_AS). */
  memoryBytes: positiveInt.default(1024 * 1024 * 1024),
  /** Processes of the sandbox's uid at once (RLIMIT_NPROC): a fork bomb hits it and stalls. */
  processes: positiveInt.default(128),
  /** The largest file a process may write (RLIMIT_FSIZE). */
  fileBytes: positiveInt.default(64 * 1024 * 1024),
  /** Open files per process (RLIMIT_NOFILE). */
  openFiles: positiveInt.default(256),
  /** Bytes of stdout and of stderr kept, each; past either the command is killed. */
  outputBytes: positiveInt.default(64 * 1024),
  /** Size of the sandbox's own /tmp and /dev/shm (tmpfs, in memory). */
  tmpBytes: positiveInt.default(64 * 1024 * 1024),
  /** Workspace files copied into the scratch directory, and written back from it, at most. */
  maxFiles: positiveInt.default(5_000),
  /** Bytes of workspace files copied in, and written back, at most. */
  maxTotalBytes: positiveInt.default(256 * 1024 * 1024),
});
export type SandboxLimits = z.infer<typeof SandboxLimits>;
export type SandboxLimitsInput = z.input<typeof SandboxLimits>;

/** Where the command's files are inside the sandbox: its working directory. */
export const sandboxWorkdir = '/workspace';

/** The environment a command sees: these and the secrets its call was granted, nothing of the executor's. */
export const baseEnvironment: Readonly<Record<string, string>> = {
  PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
  HOME: '/tmp',
  LANG: 'C.UTF-8',
};

/** What the host offers the sandbox read-only: the system, and the few files of /etc programs need to run. */
export interface HostLayout {
  /** Top-level directories that are symbolic links into /usr on this host (`/bin -> usr/bin`), with their targets. */
  usrLinks: Readonly<Record<string, string>>;
}

const systemDirectories = ['/bin', '/sbin', '/lib', '/lib32', '/lib64'];

/** Enough of /etc for programs to start and name users; never the host's secrets (shadow, ssh keys, credentials). */
const etcEntries = ['/etc/alternatives', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/passwd', '/etc/group', '/etc/nsswitch.conf', '/etc/localtime', '/etc/ssl/certs', '/etc/ca-certificates'];

export interface SandboxPlan {
  /** The call's scratch directory on the host: the only writable place the command shares with it. */
  scratchDir: string;
  command: string;
  limits: SandboxLimits;
  /** The uid and gid to drop to before the sandbox starts (when the executor runs as root); else its own. */
  runAs?: number;
  /** Secret values by name, as environment variables. */
  secrets: Readonly<Record<string, string>>;
  host: HostLayout;
}

/** How to start the command: a program, its arguments, and the environment to start it with (and nothing else). */
export interface SandboxCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * The command line that runs `plan.command` in a bubblewrap sandbox: limits first (`prlimit`, as root),
 * then the drop to an unprivileged uid (`setpriv`), then `bwrap` with every namespace unshared (no
 * network), the system read-only, and only the scratch directory writable. Secrets go in the environment,
 * never in arguments, which every process on the host can read.
 */
export function sandboxCommand(plan: SandboxPlan): SandboxCommand {
  const drop = plan.runAs === undefined ? [] : ['setpriv', `--reuid=${plan.runAs}`, `--regid=${plan.runAs}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--'];
  return { file: 'prlimit', args: [...rlimitArguments(plan.limits), '--', ...drop, 'bwrap', ...bwrapArguments(plan), '/bin/sh', '-c', plan.command], env: sandboxEnvironment(plan.secrets) };
}

export function rlimitArguments(limits: SandboxLimits): string[] {
  return [
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
    `--as=${limits.memoryBytes}`,
    `--nproc=${limits.processes}`,
    `--fsize=${limits.fileBytes}`,
    `--nofile=${limits.openFiles}`,
    '--core=0',
  ];
}

export function bwrapArguments({ scratchDir, limits, host }: Pick<SandboxPlan, 'scratchDir' | 'limits' | 'host'>): string[] {
  const system = systemDirectories.flatMap((directory) => {
    const target = host.usrLinks[directory];
    return target === undefined ? ['--ro-bind-try', directory, directory] : ['--symlink', target, directory];
  });
  const tmp = (path: string) => ['--size', String(limits.tmpBytes), '--tmpfs', path];
  return [
    '--unshare-all',
    '--unshare-user',
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    // The sandbox's init, by its host pid, as JSON: what the executor kills, and waits for.
    '--info-fd', '3',
    '--hostname', 'sandbox',
    '--ro-bind', '/usr', '/usr',
    ...system,
    ...etcEntries.flatMap((entry) => ['--ro-bind-try', entry, entry]),
    '--proc', '/proc',
    '--dev', '/dev',
    ...tmp('/dev/shm'),
    // bwrap's /dev is a tmpfs of its own: read-only, so nothing but /dev/shm (sized) takes writes there.
    '--remount-ro', '/dev',
    ...tmp('/tmp'),
    '--bind', scratchDir, sandboxWorkdir,
    // The root is bwrap's own tmpfs, unsized: read-only, so the command writes only where it is sized or kept.
    '--remount-ro', '/',
    '--chdir', sandboxWorkdir,
  ];
}

/** The base variables, then the call's secrets; a secret never replaces a base variable (a `PATH` secret is not the search path). */
export function sandboxEnvironment(secrets: Readonly<Record<string, string>>): Record<string, string> {
  return { ...secrets, ...baseEnvironment };
}
