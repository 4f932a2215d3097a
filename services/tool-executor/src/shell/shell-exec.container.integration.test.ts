import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ToolJob } from '@signalbox/events';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { dockerCliEnvironment } from '../core/container-plan.ts';
import { execute, toolCatalogue } from './execute.ts';
import { memoryOutputs } from './memory-outputs.ts';
import { memoryWorkspace, type MemoryFiles } from './memory-workspace.ts';
import { probeDocker } from './sandbox-probe.ts';
import { shellRuns, testLogger } from './shell-exec.fixtures.ts';
import { shellExecTool } from './shell-exec.ts';
import { workspaceTools } from './workspace-tools.ts';

const probe = dockerWithImage();
const limits = { wallTimeMs: 2_000, killGraceMs: 300, cpuSeconds: 1, memoryBytes: 64 * 2 ** 20, processes: 16, outputBytes: 4_096, fileBytes: 2 ** 20 };
const scratchRoot = mkdtempSync(join(tmpdir(), 'shell-exec-container-test-'));
// The container's uid passes through it to the call's directory.
chmodSync(scratchRoot, 0o711);
const tools = toolCatalogue([shellExecTool({ backend: 'docker', limits, scratchRoot }), ...workspaceTools]);
/** For the limits that must be met before the wall time, on a machine busy with other work. */
const patient = toolCatalogue([shellExecTool({ backend: 'docker', limits: { ...limits, wallTimeMs: 20_000 }, scratchRoot })]);
const marker = 'SIGNALBOX_CONTAINER_TEST_MARKER';
process.env[marker] = 'the executor environment leaked';
afterAll(() => {
  delete process.env[marker];
  rmSync(scratchRoot, { recursive: true, force: true });
});

/**
 * Docker, with shell.exec's image: built here when the daemon answers and the image is missing (about
 * a second, from Debian's busybox-static); else why the suite is skipped.
 */
function dockerWithImage() {
  const script = fileURLToPath(new URL('../../../../scripts/shell-image.sh', import.meta.url));
  if (spawnSync('docker', ['info'], { env: dockerCliEnvironment, stdio: 'ignore', timeout: 5_000 }).status === 0) spawnSync(script, { stdio: 'ignore', timeout: 60_000 });
  return probeDocker();
}

const run = shellRuns(tools);

/** Every process's command line on this host, as `ps` shows them. */
async function commandLines(): Promise<string[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const lines = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')));
  return lines.map((line) => line.split('\0').join(' '));
}

/** shell.exec's containers still there, running or not: each call's must be gone when it returns. */
function leftContainers(): string[] {
  const ps = spawnSync('docker', ['ps', '--all', '--quiet', '--filter', 'name=signalbox-shell-'], { env: dockerCliEnvironment, encoding: 'utf8' });
  return ps.stdout.split('\n').filter(Boolean);
}

describe.skipIf(!probe.available)(`shell.exec in a Docker container${probe.available ? '' : ` (skipped: ${probe.reason})`}`, () => {
  it('writes back what the command created, changed and deleted, and names them', async () => {
    const { exec, text } = run({ 'keep.txt': 'same', 'edit.txt': 'old', 'gone.txt': 'bye', 'dir/inner.txt': 'in' });
    const result = await exec('echo new > dir/new.txt && echo changed > edit.txt && rm gone.txt && cat keep.txt');
    expect(result).toMatchObject({ exitCode: 0, stdout: 'same', written: ['dir/new.txt', 'edit.txt'], deleted: ['gone.txt'] });
    expect(text('dir/new.txt')).toBe('new\n');
    expect(text('edit.txt')).toBe('changed\n');
    expect(text('gone.txt')).toBeUndefined();
    expect(leftContainers()).toEqual([]);
  });

  it("never sees the executor's environment; sees PATH, HOME, LANG and its granted secrets only, masked in its output", async () => {
    const result = await run().exec('env | sort', { API_TOKEN: 'tok-123456' });
    expect(result.stdout).not.toContain(marker);
    const names = result.stdout.trim().split('\n').map((line) => line.split('=')[0]);
    // HOSTNAME is docker's own (`sandbox`); PWD and SHLVL the shell's.
    expect(names.filter((name) => !['HOSTNAME', 'PWD', 'SHLVL'].includes(name ?? ''))).toEqual(['API_TOKEN', 'HOME', 'LANG', 'PATH']);
    expect(result.stdout).toContain('API_TOKEN=[secret:API_TOKEN]');
    expect(result.stdout).not.toContain('tok-123456');
  });

  it('never puts a secret on a command line another process on the host could read', async () => {
    let settled = false;
    const running = run({}, undefined, patient)
      .exec('sleep 1', { API_TOKEN: 'tok-on-the-command-line' })
      .finally(() => (settled = true));
    // The host's command lines while the call's docker CLI runs: it names the secret, and holds its value only in its environment.
    const isCli = (line: string) => line.includes('signalbox-shell-') && line.includes('--env API_TOKEN');
    let seen: string[] = [];
    while (!settled && !seen.some(isCli)) seen = await commandLines();
    expect(seen.some(isCli)).toBe(true);
    expect(seen.filter((line) => line.includes('tok-on-the-command-line'))).toEqual([]);
    expect((await running).exitCode).toBe(0);
  });

  it('tells a command past its wall time to stop (the init passes SIGTERM on), and kills one that ignores it after the grace, with its children', async () => {
    const { exec } = run();
    // `wait` returns on a signal, so the trap runs at once, well within the grace.
    const polite = await exec("trap 'echo told to stop; exit 3' TERM; while :; do sleep 1 & wait $!; done");
    expect(polite).toMatchObject({ exitCode: 3, stdout: 'told to stop\n', note: expect.stringMatching(/wall time/) as string });
    const stubborn = await exec("trap '' TERM; (trap '' TERM; sleep 60) & echo started; while :; do sleep 1; done");
    expect(stubborn).toMatchObject({ stdout: 'started\n', note: expect.stringMatching(/wall time/) as string });
    // The call returned only once its container was gone, and every process in it.
    expect(leftContainers()).toEqual([]);
  });

  it('kills the container of a call its session interrupts at once, and writes nothing back', async () => {
    const files: MemoryFiles = { files: new Map(), writes: 0 };
    const interrupt = new AbortController();
    const input = { command: 'echo partial > half.txt; sleep 30' };
    const call: ToolJob = { sessionId: 'run', correlationId: 'run', callId: 'interrupted', tool: 'shell.exec', input, idempotencyKey: 'run/interrupted' };
    const context = { workspace: memoryWorkspace(files), outputs: memoryOutputs(), logger: testLogger, now: () => 0, stopped: interrupt.signal };
    const running = execute(patient, call, context);
    // Interrupted once its container is there.
    await vi.waitFor(() => expect(leftContainers()).not.toEqual([]), { timeout: 10_000, interval: 50 });
    interrupt.abort(new Error('the session was interrupted by a test'));
    expect((await running).outcome).toMatchObject({ status: 'failed', error: expect.stringContaining('interrupted') as string });
    await vi.waitFor(() => expect(leftContainers()).toEqual([]), { timeout: 10_000, interval: 50 });
    expect(files.files.size).toBe(0);
  });

  it('holds memory for the container as a whole: a big allocation is killed', async () => {
    // One allocation of 200 MiB at once (dd's buffer), touched as it is read into: the cgroup's limit kills it within
    // milliseconds of CPU. A shell growing a string instead can spend its 1 s of CPU before it reaches 64 MiB on a slow machine.
    const result = await run({}, undefined, patient).exec('exec dd if=/dev/zero of=/dev/null bs=200M count=1');
    expect(result).toMatchObject({ stdout: '', exitCode: 137, note: expect.stringMatching(/memory limit \(64 MiB\)/) as string });
  });

  it('contains a fork bomb: no more processes than the limit, and none left after', async () => {
    const { exec } = run();
    // More children than the limit: the shell's forks fail past it, and the count inside stays under it.
    const counted = await run({}, undefined, patient).exec('i=0; while [ $i -lt 40 ]; do sleep 5 & i=$((i+1)); done 2>/dev/null; ls /proc | grep -c "^[0-9]"');
    expect(Number(counted.stdout.trim())).toBeLessThanOrEqual(limits.processes);
    const bomb = await exec('b() { b | b & }; b; wait');
    expect(bomb.exitCode).not.toBeNull();
    expect(leftContainers()).toEqual([]);
  });

  it('kills a command past its output cap, and keeps the output up to it', async () => {
    const flood = await run().exec('yes flood');
    expect(flood.stdout.length).toBe(limits.outputBytes);
    expect(flood.note).toMatch(/more than 4096 bytes/);
    expect(leftContainers()).toEqual([]);
  });

  it('writes back no symbolic link, and never the content of what one points at', async () => {
    const { exec, text } = run({ 'real.txt': 'real' });
    const result = await exec('ln -s /etc/passwd passwd.txt && ln -sf /etc/passwd real.txt');
    expect(result.notWrittenBack).toEqual([
      { path: 'passwd.txt', why: 'a symbolic link, not a regular file' },
      { path: 'real.txt', why: 'a symbolic link, not a regular file' },
    ]);
    expect(result.written).toEqual([]);
    expect(text('real.txt')).toBe('real');
    expect(text('passwd.txt')).toBeUndefined();
  });

  it('has a read-only root, a writable /tmp, no capabilities, and runs as a uid that is not root', async () => {
    const result = await run().exec('for f in /x /bin/x /etc/x ../x; do touch $f 2>&1; done; touch /tmp/ok && echo tmp ok; id -u; grep CapEff /proc/self/status');
    const lines = result.stdout.trim().split('\n');
    expect(lines.slice(0, 4)).toHaveLength(4);
    for (const line of lines.slice(0, 4)) expect(line).toMatch(/Read-only file system/);
    expect(lines[4]).toBe('tmp ok');
    expect(lines[5]).not.toBe('0');
    expect(lines[6]).toMatch(/^CapEff:\s+0+$/);
  });

  it('has no network, and refuses a call whose grant names hosts rather than give it any', async () => {
    const { exec } = run();
    const result = await exec('ls /sys/class/net');
    expect(result.stdout.trim()).toBe('lo');
    const named = await run({}, undefined, tools, ['example.com']).outcome('shell.exec', { command: 'true' });
    expect(named).toMatchObject({ status: 'failed', error: expect.stringMatching(/Docker containers, which have no network.*example\.com/) as string });
  });
});
