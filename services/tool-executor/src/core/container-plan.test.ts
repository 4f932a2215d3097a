import { describe, expect, it } from 'vitest';
import { containerCommand, containerName } from './container-plan.ts';
import { SandboxLimits } from './sandbox-plan.ts';

const limits = SandboxLimits.parse({ cpuSeconds: 5, memoryBytes: 1000, processes: 10, fileBytes: 2000, openFiles: 64, tmpBytes: 4096 });
const plan = { image: 'shell:test', name: 'signalbox-shell-abc', scratchDir: '/tmp/scratch/call-1', command: 'make test', limits, user: { uid: 200_001, gid: 200_001 }, secrets: { TOKEN: 'secret-value' } };

/** The values following each occurrence of `flag`. */
function values(args: readonly string[], flag: string): string[] {
  return args.flatMap((arg, index) => (arg === flag ? [args[index + 1] ?? ''] : []));
}

describe('the container plan', () => {
  it('runs the command by name, removed after, with no network, a read-only root, no capabilities and an unprivileged uid', () => {
    const { file, args } = containerCommand(plan);
    expect(file).toBe('docker');
    expect(args.slice(0, 2)).toEqual(['run', '--rm']);
    expect(values(args, '--name')).toEqual(['signalbox-shell-abc']);
    expect(values(args, '--network')).toEqual(['none']);
    expect(args).toEqual(expect.arrayContaining(['--read-only', '--init']));
    expect(values(args, '--cap-drop')).toEqual(['ALL']);
    expect(values(args, '--security-opt')).toEqual(['no-new-privileges']);
    expect(values(args, '--user')).toEqual(['200001:200001']);
    expect(values(args, '--mount')).toEqual(['type=bind,source=/tmp/scratch/call-1,target=/workspace']);
    expect(values(args, '--workdir')).toEqual(['/workspace']);
    expect(args.slice(-4)).toEqual(['shell:test', '/bin/sh', '-c', 'make test']);
    // Never the host's network, nor any privilege back.
    expect(args.join(' ')).not.toMatch(/--network[= ]host|--privileged|--cap-add/);
  });

  it('sets memory and processes for the container, and the rest as rlimits', () => {
    const { args } = containerCommand(plan);
    expect(values(args, '--memory')).toEqual(['1000']);
    expect(values(args, '--memory-swap')).toEqual(['1000']);
    expect(values(args, '--pids-limit')).toEqual(['10']);
    expect(values(args, '--tmpfs')).toEqual(['/tmp:size=4096,mode=1777']);
    expect(values(args, '--ulimit')).toEqual(['cpu=5:6', 'fsize=2000:2000', 'nofile=64:64', 'core=0']);
  });

  it('names secrets in the arguments and puts their values only in the CLI environment, never over the base variables', () => {
    const { args, env } = containerCommand({ ...plan, secrets: { TOKEN: 'secret-value', PATH: '/evil' } });
    expect(args.join(' ')).not.toContain('secret-value');
    expect(values(args, '--env')).toEqual(['PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', 'HOME=/tmp', 'LANG=C.UTF-8', 'TOKEN']);
    expect(env).toEqual({ TOKEN: 'secret-value', PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' });
  });

  it('refuses a secret the docker CLI would read itself', () => {
    expect(() => containerCommand({ ...plan, secrets: { DOCKER_HOST: 'tcp://elsewhere:2375' } })).toThrow(/DOCKER_HOST: the docker CLI reads variables of those names itself/);
  });

  it('names containers so that docker ps shows whose they are', () => {
    expect(containerName('0123abcd')).toBe('signalbox-shell-0123abcd');
  });
});
