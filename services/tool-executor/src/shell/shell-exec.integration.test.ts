import { chmodSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readdir, readFile } from 'node:fs/promises';
import type { ToolJob } from '@signalbox/events';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { execute, toolCatalogue } from './execute.ts';
import { memoryOutputs } from './memory-outputs.ts';
import { memoryWorkspace, type MemoryFiles } from './memory-workspace.ts';
import { probeBubblewrap } from './sandbox-probe.ts';
import { shellRuns, testLogger as logger } from './shell-exec.fixtures.ts';
import { shellExecTool } from './shell-exec.ts';
import { workspaceTools } from './workspace-tools.ts';
import type { CallWorkspace } from './workspace.ts';

const probe = probeBubblewrap();
const utf8 = new TextEncoder();
const limits = { wallTimeMs: 2_000, killGraceMs: 300, cpuSeconds: 1, memoryBytes: 256 * 2 ** 20, processes: 32, outputBytes: 4_096, fileBytes: 2 ** 20 };
// The calls' scratch directories go under a directory of the test's own, removed at the end.
const scratchRoot = mkdtempSync(join(tmpdir(), 'shell-exec-test-'));
// The sandbox's uid passes through it to the call's directory.
chmodSync(scratchRoot, 0o711);
// A uid range of this file's own: other files' sandboxes (the shell e2e, the least-privilege test) run at
// the same time under the default range, and what this file finds left over must be its own.
const uids = { first: 210_000, count: 1_000 };
const shell = shellExecTool({ limits, scratchRoot, uids });
const tools = toolCatalogue([shell, ...workspaceTools]);
/** For the limits that must be met before the wall time, on a machine busy with other work. */
const patientTools = toolCatalogue([shellExecTool({ limits: { ...limits, wallTimeMs: 20_000 }, scratchRoot, uids })]);
const marker = 'SIGNALBOX_SHELL_TEST_MARKER';
process.env[marker] = 'the executor environment leaked';
afterAll(() => {
  delete process.env[marker];
  rmSync(scratchRoot, { recursive: true, force: true });
});

const run = shellRuns(tools);

describe.skipIf(!probe.available)(`shell.exec in bubblewrap${probe.available ? '' : ` (skipped: ${probe.reason})`}`, () => {
  it('writes back what the command created, changed and deleted, and names them', async () => {
    const { exec, outcome, text } = run({ 'keep.txt': 'same', 'edit.txt': 'old', 'gone.txt': 'bye', 'dir/inner.txt': 'in' });
    const result = await exec('echo new > dir/new.txt && echo changed > edit.txt && rm gone.txt && cat keep.txt');
    expect(result).toMatchObject({ exitCode: 0, stdout: 'same', written: ['dir/new.txt', 'edit.txt'], deleted: ['gone.txt'] });
    expect(text('dir/new.txt')).toBe('new\n');
    expect(text('edit.txt')).toBe('changed\n');
    expect(text('gone.txt')).toBeUndefined();
    expect(await outcome('workspace.list', {})).toMatchObject({ output: 'dir/inner.txt (2 bytes)\ndir/new.txt (4 bytes)\nedit.txt (8 bytes)\nkeep.txt (4 bytes)' });
  });

  it("fails the call when a file it changed changed in the workspace meanwhile, and never overwrites the other writer's", async () => {
    // A sibling writes the file after it was copied in, just before the call writes back.
    const siblingFirst = (workspace: CallWorkspace): CallWorkspace => {
      const write: CallWorkspace['write'] = async (path, content, expectation) => {
        await workspace.write('shared.txt', utf8.encode('theirs'));
        return workspace.write(path, content, expectation);
      };
      return Object.assign(Object.create(workspace) as CallWorkspace, { write });
    };
    const { outcome, text } = run({ 'shared.txt': 'base' }, siblingFirst);
    const done = await outcome('shell.exec', { command: 'echo mine > shared.txt' });
    expect(done.status).toBe('failed');
    expect(done.status === 'failed' && done.error).toMatch(/shared\.txt changed in the workspace while it ran/);
    expect(text('shared.txt')).toBe('theirs');
  });

  it('never sees the executor\'s environment; sees PATH, HOME, LANG and its granted secrets only, masked in its output', async () => {
    const { exec } = run();
    const result = await exec('env | sort', { API_TOKEN: 'tok-123456' });
    expect(result.stdout).not.toContain(marker);
    const names = result.stdout.trim().split('\n').map((line) => line.split('=')[0]);
    expect(names.filter((name) => !['PWD', 'SHLVL', '_', 'OLDPWD'].includes(name ?? ''))).toEqual(['API_TOKEN', 'HOME', 'LANG', 'PATH']);
    expect(result.stdout).toContain('API_TOKEN=[secret:API_TOKEN]');
  });

  it('masks a granted secret in the files the command writes back, as in its output', async () => {
    const { exec, text } = run();
    const result = await exec('echo "token: $API_TOKEN" > token.txt', { API_TOKEN: 'tok-123456' });
    expect(result.written).toEqual(['token.txt']);
    expect(text('token.txt')).toBe('token: [secret:API_TOKEN]\n');
  });

  it('writes nothing back from a command that leaves more files than a call writes back, and says so', async () => {
    const few = toolCatalogue([shellExecTool({ limits: { ...limits, maxFiles: 5 }, scratchRoot, uids })]);
    const job: ToolJob = { sessionId: 'run', correlationId: 'run', callId: 'many', tool: 'shell.exec', input: { command: 'for i in 1 2 3 4 5 6 7; do echo $i > f$i; done' }, idempotencyKey: 'run/many' };
    const shared: MemoryFiles = { files: new Map(), writes: 0 };
    const { outcome } = await execute(few, job, { workspace: memoryWorkspace(shared), outputs: memoryOutputs(), logger, now: () => 0 });
    expect(outcome).toEqual({ status: 'failed', error: 'the command left more than 5 files, the most a shell call handles' });
    expect(shared.files.size).toBe(0);
  });

  it('refuses secrets the grant does not give', async () => {
    const { outcome } = run();
    const done = await outcome('shell.exec', { command: 'true', secrets: ['NOT_GRANTED'] });
    expect(done).toMatchObject({ status: 'failed', error: expect.stringContaining('NOT_GRANTED') as string });
  });

  it('kills a command past its wall time, and one that ignores SIGTERM after the grace, with every process it started', async () => {
    const { exec } = run();
    const polite = await exec('sleep 30');
    expect(polite.note).toMatch(/wall time/);
    // Ignores SIGTERM, and leaves a child of its own running: both die with the sandbox's pid namespace.
    const stubborn = await exec("trap '' TERM; (trap '' TERM; sleep 60) & echo started; while :; do sleep 1; done");
    expect(stubborn).toMatchObject({ stdout: 'started\n', note: expect.stringMatching(/wall time/) as string });
    expect(await sandboxProcesses()).toEqual([]);
  });

  it('kills the command of a call its session interrupts, and writes nothing back', async () => {
    const shared: MemoryFiles = { files: new Map(), writes: 0 };
    const stopped = new AbortController();
    const job: ToolJob = { sessionId: 'run', correlationId: 'run', callId: 'stop', tool: 'shell.exec', input: { command: 'echo partial > half.txt; echo started; sleep 30' }, idempotencyKey: 'run/stop' };
    const running = execute(patientTools, job, { workspace: memoryWorkspace(shared), outputs: memoryOutputs(), logger, now: () => 0, stopped: stopped.signal });
    // Stopped once the command has started: its first file is in the scratch directory by then.
    await vi.waitFor(async () => expect(await sandboxProcesses()).not.toEqual([]), { timeout: 10_000, interval: 20 });
    stopped.abort(new Error('stopped before it finished: the session was interrupted by a test'));
    expect((await running).outcome).toMatchObject({ status: 'failed', error: expect.stringContaining('interrupted') as string });
    await vi.waitFor(async () => expect(await sandboxProcesses()).toEqual([]), { timeout: 10_000, interval: 20 });
    expect(shared.files.size).toBe(0);
  });

  it('contains a fork bomb within its process limit and kills it at its wall time', async () => {
    const { exec } = run({}, undefined, toolCatalogue([shellExecTool({ limits: { ...limits, wallTimeMs: 4_000 }, scratchRoot, uids })]));
    // bash retries a fork that fails, so its bomb spins at the process limit until the wall time ends it.
    // A subshell started first counts the sandbox's processes with builtins (it could not fork by then).
    // The shell then waits with exec, which needs no fork: every fork may fail by then.
    const bomb = await exec('(sleep 1; set -- /proc/[0-9]*; echo $#) & bash -c \':(){ :|:& };:\' 2>/dev/null; exec sleep 30');
    expect(bomb.note).toMatch(/wall time/);
    expect(Number(bomb.stdout.trim())).toBeGreaterThan(4);
    expect(Number(bomb.stdout.trim())).toBeLessThanOrEqual(limits.processes + 1);
    expect(await sandboxProcesses()).toEqual([]);
  });

  it('kills a command at its CPU time limit', async () => {
    const { exec } = run({}, undefined, patientTools);
    const spinning = await exec('while :; do :; done');
    expect(spinning).toMatchObject({ exitCode: 128 + 24, note: expect.stringMatching(/CPU time/) as string });
  });

  it('refuses memory past its limit', async () => {
    const { exec } = run();
    // 256 MiB of "a" in a shell variable: more than the process may map.
    const hungry = await exec('x=$(head -c 300000000 /dev/zero | tr "\\0" a); echo ${#x}');
    expect(hungry.exitCode).not.toBe(0);
    expect(hungry.stdout).not.toContain('300000000');
  });

  it('cuts a huge output at its cap and kills the command', async () => {
    const { exec } = run();
    const flood = await exec('yes flood');
    expect(flood.stdout.length).toBe(limits.outputBytes);
    expect(flood.note).toMatch(/more than 4096 bytes/);
  });

  it('writes back no symbolic link, in either direction, and never the content of what one points at', async () => {
    const { exec, text } = run({ 'real.txt': 'real' });
    const result = await exec('ln -s /etc/passwd passwd.txt && ln -s ../../../../etc escape && ln -sf /etc/passwd real.txt && mkfifo pipe && cat escape/hostname 2>&1; ls /workspace/..');
    expect(result.notWrittenBack).toEqual([
      { path: 'escape', why: 'a symbolic link, not a regular file' },
      { path: 'passwd.txt', why: 'a symbolic link, not a regular file' },
      { path: 'pipe', why: 'a fifo, not a regular file' },
      { path: 'real.txt', why: 'a symbolic link, not a regular file' },
    ]);
    expect(result.written).toEqual([]);
    expect(result.deleted).toEqual([]);
    expect(text('real.txt')).toBe('real');
    expect(text('passwd.txt')).toBeUndefined();
  });

  it('sees none of the host: not its processes, not its files, not the executor\'s other scratch directories', async () => {
    const { exec } = run();
    const result = await exec('ls /proc | grep -E "^[0-9]+$" | wc -l; ls / | tr "\\n" " "; echo; ls -A /tmp | wc -l; cat /proc/1/cmdline | head -c 5; echo; for f in /usr/x /dev/x /x ../x; do touch $f 2>&1; done');
    const [processes, root, tmp, init, ...errors] = result.stdout.trim().split('\n');
    // The shell, ls, grep, wc and bwrap's init: nothing of the host's.
    expect(Number(processes)).toBeLessThan(10);
    // A root of its own: the host's /work and /root are not there, and its /tmp (where scratch directories are made) is its own, empty.
    const system = ['bin', 'sbin', 'lib', 'lib32', 'lib64'].filter((directory) => existsSync(`/${directory}`));
    expect(root?.trim().split(' ').sort()).toEqual([...system, 'dev', 'etc', 'proc', 'tmp', 'usr', 'workspace'].sort());
    expect(tmp).toBe('0');
    expect(init).toBe('bwrap');
    expect(errors).toHaveLength(4);
    for (const error of errors) expect(error).toMatch(/Read-only file system/);
  });

  it('reaches the hosts its grant names through the proxy, and nothing else, nothing at all without a grant', async () => {
    const server = http.createServer((request, response) => response.end(`hello ${request.method}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    // bash's /dev/tcp speaks to the proxy as any client would: a plain request, a tunnel, and a host it does not name.
    const ask = (request: string) => `bash -c 'exec 3<>/dev/tcp/127.0.0.1/3128 && printf "${request}" >&3 && cat <&3; echo'`;
    const command = [
      ask(`GET http://127.0.0.1:${port}/ HTTP/1.0\\r\\n\\r\\n`),
      ask(`CONNECT 127.0.0.1:${port} HTTP/1.1\\r\\n\\r\\nPUT / HTTP/1.0\\r\\nContent-Length: 0\\r\\n\\r\\n`),
      ask('GET http://example.com/ HTTP/1.0\\r\\n\\r\\n'),
      `bash -c 'echo > /dev/tcp/127.0.0.1/${port}' 2>/dev/null || echo direct refused`,
    ].join('; ');
    try {
      const granted = await run({}, undefined, tools, ['127.0.0.1']).exec(command);
      expect(granted.stdout).toMatch(/hello GET[\s\S]*200 Connection Established[\s\S]*hello PUT[\s\S]*403 Forbidden[\s\S]*example\.com is not a host this call's policy names[\s\S]*direct refused/);
      const ungranted = await run().exec(command);
      expect(ungranted.stdout).not.toMatch(/hello/);
      expect(ungranted.stdout).toContain('direct refused');
    } finally {
      server.close();
    }
  });

  it('refuses a scratch directory someone else put in its place, and never follows a link there', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'shell-exec-planted-'));
    try {
      symlinkSync('/etc', join(parent, `signalbox-shell-${process.getuid?.() ?? 'user'}`));
      const planted = toolCatalogue([shellExecTool({ limits, scratchRoot: parent, uids })]);
      const job: ToolJob = { sessionId: 'run', correlationId: 'run', callId: 'planted', tool: 'shell.exec', input: { command: 'true' }, idempotencyKey: 'run/planted' };
      const { outcome } = await execute(planted, job, { workspace: memoryWorkspace(), outputs: memoryOutputs(), logger, now: () => 0 });
      expect(outcome).toMatchObject({ status: 'failed', error: expect.stringMatching(/is not a directory of this user's that only it may write/) as string });
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it("never sees another run's files, even while that run's command runs", async () => {
    const other = run({ 'secret-plan.md': 'theirs' }).exec('sleep 1');
    const { exec } = run({ 'mine.md': 'mine' });
    const result = await exec('find / -path /proc -prune -o -path /usr -prune -o -name "secret-plan.md" -print 2>/dev/null; ls');
    expect(result.stdout).toBe('mine.md\n');
    expect((await other).exitCode).toBe(0);
  });

  it('refuses paths that climb out of the workspace, and leaves nothing behind on the host', async () => {
    const { exec } = run();
    const result = await exec('echo x > ../outside.txt 2>&1; echo $?; mkdir -p "a/.." 2>&1; printf "x" > "$(printf "bad\\001name")"');
    expect(result.stdout.split('\n')[0]).not.toBe('0');
    expect(result.notWrittenBack).toEqual([{ path: 'bad\u0001name', why: expect.stringContaining('control characters') as string }]);
    expect(await leftoverScratch()).toEqual([]);
  });
});

/**
 * Processes still running as one of this file's sandbox uids: a sandbox not wholly killed.
 * Zombies are not running: bwrap may exit before reaping its namespace's init, which then waits for
 * the host's pid 1 to reap it (in a container, a pid 1 that never reaps).
 */
async function sandboxProcesses(): Promise<string[]> {
  const left: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const status = await readFileQuietly(`/proc/${pid}/status`);
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
    const state = /^State:\s+(\S)/m.exec(status)?.[1];
    if (uid >= uids.first && uid < uids.first + uids.count && state !== 'Z') left.push(`${pid} (uid ${uid}, state ${state})`);
  }
  return left;
}

/** Scratch directories left under the test's scratch root, past the executor's own directory in it. */
async function leftoverScratch(): Promise<string[]> {
  const roots = await readdir(scratchRoot);
  const calls = await Promise.all(roots.map(async (root) => (await readdir(join(scratchRoot, root))).map((call) => `${root}/${call}`)));
  return calls.flat();
}

async function readFileQuietly(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}
