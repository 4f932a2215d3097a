import { describe, expect, it } from 'vitest';
import { bwrapArguments, rlimitArguments, sandboxCommand, sandboxEnvironment, SandboxLimits } from './sandbox-plan.ts';

const limits = SandboxLimits.parse({ cpuSeconds: 5, memoryBytes: 1000, processes: 10, fileBytes: 2000, openFiles: 64, tmpBytes: 4096 });
const merged = { usrLinks: { '/bin': 'usr/bin', '/lib': 'usr/lib' } };
const plan = { scratchDir: '/tmp/scratch/call-1', command: 'make test', limits, secrets: { TOKEN: 'secret-value' }, host: merged };

/** The values following each occurrence of `flag`. */
function after(args: readonly string[], flag: string, count = 1): string[][] {
  return args.flatMap((arg, index) => (arg === flag ? [args.slice(index + 1, index + 1 + count)] : []));
}

describe('the sandbox plan', () => {
  it('has sensible limits unless told otherwise, and refuses nonsense', () => {
    expect(SandboxLimits.parse({})).toMatchObject({ wallTimeMs: 60_000, cpuSeconds: 30, processes: 128, outputBytes: 65_536 });
    expect(SandboxLimits.safeParse({ processes: 0 }).success).toBe(false);
    expect(SandboxLimits.safeParse({ wallTimeMs: 1.5 }).success).toBe(false);
  });

  it('sets every limit as an rlimit, CPU with a hard limit a second past the soft one, and no core dumps', () => {
    expect(rlimitArguments(limits)).toEqual(['--cpu=5:6', '--as=1000', '--nproc=10', '--fsize=2000', '--nofile=64', '--core=0']);
  });

  it('unshares every namespace, network included, and mounts the system read-only and only the scratch directory writable', () => {
    const args = bwrapArguments(plan);
    expect(args).toEqual(expect.arrayContaining(['--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', '--new-session']));
    expect(args).not.toContain('--share-net');
    expect(after(args, '--bind', 2)).toEqual([['/tmp/scratch/call-1', '/workspace']]);
    expect(after(args, '--ro-bind', 2)).toEqual([['/usr', '/usr']]);
    expect(after(args, '--symlink', 2)).toEqual([['usr/bin', '/bin'], ['usr/lib', '/lib']]);
    expect(after(args, '--remount-ro')).toEqual([['/dev'], ['/']]);
    expect(after(args, '--tmpfs')).toEqual([['/dev/shm'], ['/tmp']]);
    expect(after(args, '--size')).toEqual([['4096'], ['4096']]);
    expect(after(args, '--chdir')).toEqual([['/workspace']]);
    // Only chosen files of /etc: never the whole of it (shadow, keys, credentials).
    expect(after(args, '--ro-bind-try', 2).map(([source]) => source)).not.toContain('/etc');
    expect(after(args, '--ro-bind-try', 2).map(([source]) => source)).not.toContain('/etc/shadow');
  });

  it('binds the system directories a host keeps apart from /usr', () => {
    expect(after(bwrapArguments({ ...plan, host: { usrLinks: {} } }), '--ro-bind-try', 2)).toEqual(expect.arrayContaining([['/bin', '/bin'], ['/lib', '/lib']]));
  });

  it('drops to the given uid before bwrap, with no capabilities, after setting the limits', () => {
    const { file, args } = sandboxCommand({ ...plan, runAs: 200_001 });
    expect(file).toBe('prlimit');
    const bwrap = args.indexOf('bwrap');
    expect(args.slice(args.indexOf('--') + 1, bwrap)).toEqual(['setpriv', '--reuid=200001', '--regid=200001', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--']);
    expect(args.slice(-3)).toEqual(['/bin/sh', '-c', 'make test']);
    expect(sandboxCommand(plan).args).not.toContain('setpriv');
  });

  it('passes secrets in the environment, never in arguments, and never over the base variables', () => {
    const { args, env } = sandboxCommand(plan);
    expect(args.join(' ')).not.toContain('secret-value');
    expect(env).toEqual({ TOKEN: 'secret-value', PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', HOME: '/tmp', LANG: 'C.UTF-8' });
    expect(sandboxEnvironment({ PATH: '/evil' }).PATH).not.toBe('/evil');
  });

  it('has no network but loopback, unless the grant names hosts: then a forwarder to the proxy runs first, and programs are told of it', () => {
    expect(sandboxCommand(plan).env).not.toHaveProperty('HTTP_PROXY');
    const { args, env } = sandboxCommand({ ...plan, proxySocket: '/tmp/scratch/call-1.proxy.sock' });
    expect(args).not.toContain('--share-net');
    expect(after(args, '--bind', 2)).toContainEqual(['/tmp/scratch/call-1.proxy.sock', '/run/signalbox-proxy.sock']);
    expect(args.slice(-5, -2)).toEqual(['/bin/sh', '-c', 'perl -e "$0" && exec /bin/sh -c "$1"']);
    expect(args.at(-2)).toContain('IO::Socket::UNIX->new(Peer => "/run/signalbox-proxy.sock")');
    expect(args.at(-1)).toBe('make test');
    expect(env).toMatchObject({ HTTP_PROXY: 'http://127.0.0.1:3128', https_proxy: 'http://127.0.0.1:3128' });
  });
});
