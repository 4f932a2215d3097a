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

/** Where the executor's egress proxy is inside the sandbox, and where the forwarder listens for the command's programs. */
export const proxySocketPath = '/run/signalbox-proxy.sock';
export const proxyPort = 3128;

/**
 * The forwarder run inside the sandbox when its call may reach named hosts: it listens on loopback (the
 * only network the sandbox has) and passes each connection to the executor's proxy over its Unix socket.
 * Perl, because perl-base is on every Debian system; it forks once it listens, so the command starts only then.
 */
const forwarder = [
  'use IO::Socket::INET; use IO::Socket::UNIX; use IO::Select;',
  `my $l = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => ${proxyPort}, Listen => 64, ReuseAddr => 1) or die "no proxy port: $!";`,
  'exit 0 if fork; my $s = IO::Select->new($l); my %p;',
  'while (1) { for my $h ($s->can_read) {',
  `  if ($h == $l) { my $c = $l->accept or next; my $u = IO::Socket::UNIX->new(Peer => "${proxySocketPath}") or do { close $c; next }; $p{$c} = $u; $p{$u} = $c; $s->add($c, $u); next }`,
  '  my $o = $p{$h}; my $n = sysread($h, my $b, 65536);',
  '  if (!$n) { $s->remove($h, $o); close $h; close $o; delete @p{$h, $o}; next }',
  '  while (length $b) { my $w = syswrite($o, $b) or last; substr($b, 0, $w) = "" }',
  '} }',
].join('\n');

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
  /** The executor's egress proxy for this call, on the host: given only when the call's grant names hosts. */
  proxySocket?: string;
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
  const withNetwork = plan.proxySocket !== undefined;
  // With a proxy, the forwarder first, then the command: `$0` and `$1` keep both out of the shell's parsing.
  const shell = withNetwork ? ['/bin/sh', '-c', 'perl -e "$0" && exec /bin/sh -c "$1"', forwarder, plan.command] : ['/bin/sh', '-c', plan.command];
  return { file: 'prlimit', args: [...rlimitArguments(plan.limits), '--', ...drop, 'bwrap', ...bwrapArguments(plan), ...shell], env: sandboxEnvironment(plan.secrets, withNetwork) };
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

export function bwrapArguments({ scratchDir, limits, host, proxySocket }: Pick<SandboxPlan, 'scratchDir' | 'limits' | 'host' | 'proxySocket'>): string[] {
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
    ...(proxySocket === undefined ? [] : ['--bind', proxySocket, proxySocketPath]),
    // The root is bwrap's own tmpfs, unsized: read-only, so the command writes only where it is sized or kept.
    '--remount-ro', '/',
    '--chdir', sandboxWorkdir,
  ];
}

/**
 * The base variables (and, with a proxy, where it is, in the forms programs read), then the call's
 * secrets; a secret never replaces one of those (a `PATH` secret is not the search path).
 */
export function sandboxEnvironment(secrets: Readonly<Record<string, string>>, withProxy = false): Record<string, string> {
  const proxy = `http://127.0.0.1:${proxyPort}`;
  const proxies: Record<string, string> = withProxy ? { HTTP_PROXY: proxy, HTTPS_PROXY: proxy, http_proxy: proxy, https_proxy: proxy } : {};
  return { ...secrets, ...baseEnvironment, ...proxies };
}
