import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import { naming, toolJobDurable } from '@signalbox/events';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { workspaceTools } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventsUntil } from '../support/runtime.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = 'packages/cli/src/main.ts';
const demoAgent = 'deploy/agents/demo.yaml';
const names = naming('sbx');
const cliTimeoutMs = 20_000;

let server: NatsServer;
let nc: NatsConnection;
let client: SignalboxClient;
let services: ChildProcess;
let servicesExited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let servicesStderr = '';
let env: NodeJS.ProcessEnv;
let compileCache: string;
let applied: CliResult;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `signalbox <args>` to completion, killed (and failing the test) if it takes too long. */
function cli(...args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [main, ...args], { cwd: root, env, timeout: cliTimeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      if (error?.killed) reject(new Error(`signalbox ${args.join(' ')} did not exit within ${cliTimeoutMs} ms; stderr: ${stderr}`));
      else if (error && typeof error.code !== 'number') reject(new Error(`could not run signalbox ${args.join(' ')}: ${error.message}`, { cause: error }));
      else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

/** Runs a command that must succeed and returns its stdout. */
async function ok(...args: string[]): Promise<string> {
  const result = await cli(...args);
  if (result.code !== 0) throw new Error(`signalbox ${args.join(' ')} exited ${result.code}; stderr: ${result.stderr}`);
  return result.stdout;
}

const lines = (text: string) => text.split('\n').filter((line) => line.length > 0);

/** Polls until `exists` says yes, failing early if `signalbox run` died. */
async function waitUntil(exists: () => Promise<boolean>, what: string, deadline: number): Promise<void> {
  while (!(await exists())) {
    if (services.exitCode !== null || services.signalCode !== null) {
      throw new Error(`signalbox run exited (${services.exitCode ?? services.signalCode}) before ${what}: ${servicesStderr}`);
    }
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${cliTimeoutMs} ms`);
    await sleep(50);
  }
}

const found = (lookup: Promise<unknown>) => lookup.then(() => true, () => false);

/** `signalbox run` provisions the streams and buckets first (the agents bucket among them), then starts the services. */
async function provisioned(jsm: JetStreamManager, deadline: number): Promise<void> {
  await waitUntil(() => found(jsm.streams.info(`KV_${names.buckets.agents}`)), 'the agents bucket exists', deadline);
}

/** Until every service's durable consumer exists, a submitted task or tool job might sit unserved. */
async function servicesReady(jsm: JetStreamManager, deadline: number): Promise<void> {
  const consumers: [string, string][] = [
    [names.streams.tasks, 'session-actor-tasks'],
    [names.streams.inbox, 'session-actor-inbox'],
    ...workspaceTools.map((tool): [string, string] => [names.streams.jobs, toolJobDurable(tool.name)]),
  ];
  for (const [stream, durable] of consumers) {
    await waitUntil(() => found(jsm.consumers.info(stream, durable)), `consumer ${durable} exists on ${stream}`, deadline);
  }
}

/** Waits until the session has completed and the session index says how. */
async function completed(sessionId: string, timeoutMs = 15_000): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  let last = '';
  for await (const event of client.follow(sessionId, signal)) last = event.type;
  if (last !== 'session.completed') throw new Error(`session ${sessionId} did not complete within ${timeoutMs} ms (last event: ${last || 'none'})`);
  // The index is written just after the log, so watch it settle too.
  const index = await new Kvm(nc).open(names.buckets.sessions);
  const updates = await index.watch({ key: sessionId });
  const stop = () => updates.stop();
  signal.addEventListener('abort', stop, { once: true });
  try {
    for await (const entry of updates) {
      if (entry.operation === 'PUT' && !['running', 'paused'].includes(entry.json<{ status: string }>().status)) return;
    }
    throw new Error(`the session index did not record session ${sessionId} as finished within ${timeoutMs} ms`);
  } finally {
    signal.removeEventListener('abort', stop);
    updates.stop();
  }
}

/** The one session the read commands look at: submitted through the CLI, once, by whichever test needs it first. */
let demoSession: Promise<{ stdout: string; sessionId: string }> | undefined;
function submitDemo() {
  demoSession ??= ok('submit', 'demo', 'Write a note about Signalbox', '--json').then((stdout) => ({
    stdout,
    sessionId: (JSON.parse(stdout) as { sessionId: string }).sessionId,
  }));
  return demoSession;
}

beforeAll(async () => {
  server = await startNatsServer();
  compileCache = await mkdtemp(join(tmpdir(), 'sbx-cli-cache-'));
  env = {
    ...process.env,
    NATS_URL: server.url,
    LOG_LEVEL: 'silent',
    NO_COLOR: '1',
    SIGNALBOX_PREFIX: 'sbx',
    // Every command is a fresh node process; caching compiled modules roughly halves its start-up.
    NODE_COMPILE_CACHE: compileCache,
  };
  services = spawn(process.execPath, [main, 'run', 'session-actor', 'tool-executor', 'permission-broker'], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  services.stderr?.on('data', (chunk: Buffer) => (servicesStderr += chunk.toString()));
  servicesExited = new Promise((resolve) => services.once('exit', (code, signal) => resolve({ code, signal })));
  nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  const deadline = Date.now() + cliTimeoutMs;
  await provisioned(jsm, deadline);
  // Applying an agent needs the buckets, not the services, so it overlaps with their start-up.
  const applying = cli('agents', 'apply', '-f', demoAgent);
  await servicesReady(jsm, deadline);
  client = await SignalboxClient.open(nc);
  applied = await applying;
});

afterAll(async () => {
  if (services?.exitCode === null && services.signalCode === null) {
    services.kill('SIGKILL');
    await servicesExited;
  }
  await nc?.close();
  await server?.dispose();
  if (compileCache) await rm(compileCache, { recursive: true, force: true });
});

// Each command is a node process of its own; on a busy two-core machine a chain of them can outlast the default timeout.
describe.concurrent('signalbox CLI', { timeout: 60_000 }, () => {
  it('agents apply stores the agent and says so, or prints the stored definition with --json', async () => {
    expect(applied).toMatchObject({ code: 0, stderr: '' });
    expect(applied.stdout).toBe('applied agent demo (scripted)\n');

    const stored = JSON.parse(await ok('agents', 'apply', '-f', demoAgent, '--json'));
    expect(stored).toMatchObject({ name: 'demo', model: 'scripted', tools: ['workspace.write', 'workspace.read', 'workspace.list'], budget: { maxSteps: 6 } });
    expect(stored.script).toHaveLength(6);
    const entry = await (await new Kvm(nc).open(names.buckets.agents)).get('demo');
    expect(entry?.json()).toEqual(stored);
  });

  it('submit --json prints the accepted session', async () => {
    const { stdout, sessionId } = await submitDemo();
    expect(lines(stdout)).toHaveLength(1);
    expect(JSON.parse(stdout)).toEqual({ status: 'accepted', sessionId });
    expect(sessionId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it('submit with --session-id is idempotent: the second submission says it was already submitted', async () => {
    expect(await ok('submit', 'demo', 'only once', '--session-id', 'cli-once')).toBe('cli-once\n');
    expect(await ok('submit', 'demo', 'only once', '--session-id', 'cli-once')).toBe('cli-once (already submitted)\n');
    await completed('cli-once');
    const events = await client.events('cli-once');
    expect(events.filter((event) => event.type === 'session.created')).toHaveLength(1);
  });

  it('submit to an unknown agent exits non-zero with the rejection reason on stderr', async () => {
    const result = await cli('submit', 'nobody', 'x');
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/task rejected: .*unknown agent "nobody"/);
  });

  it('dlq shows a task rejected for an unknown agent with the reason, and redrive starts it once the agent exists', async () => {
    expect((await cli('submit', 'latecomer', 'x', '--session-id', 'from-dlq')).code).not.toBe(0);
    const letters = JSON.parse(await ok('dlq', '--json')) as { seq: number; from: string; reason: string; data: string }[];
    const letter = letters.find((candidate) => candidate.from === 'sbx.tasks.latecomer');
    expect(letter?.reason).toMatch(/unknown agent "latecomer"/);
    expect(JSON.parse(Buffer.from(letter?.data ?? '', 'base64').toString())).toMatchObject({ input: 'x', sessionId: 'from-dlq' });

    await client.applyAgent({ name: 'latecomer', model: 'scripted', tools: [], script: [{ final: 'here now' }] });
    expect(await ok('redrive', String(letter?.seq))).toBe(`re-drove ${letter?.seq} to sbx.tasks.latecomer\n`);
    await completed('from-dlq');
    expect((await client.events('from-dlq')).at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded', output: 'here now' } });
    const left = JSON.parse(await ok('dlq', '--json', '--limit', '100')) as { seq: number }[];
    expect(left.map((remaining) => remaining.seq)).not.toContain(letter?.seq);
    expect((await cli('redrive', String(letter?.seq))).stderr).toMatch(/no dead letter/);
  });

  it('resume --max-steps finishes a session its budget paused; pause and resume refuse bad input clearly', async () => {
    expect(await ok('submit', 'demo', 'on a short leash', '--session-id', 'cli-leash', '--max-steps', '1')).toBe('cli-leash\n');
    await eventsUntil(client, 'cli-leash', (events) => events.at(-1)?.type === 'session.paused', 15_000);
    // Few processes, one after another: each is a node start-up, and the machine is shared (the rest of the refusals are in pause-commands.test.ts and e2e/pause.test.ts).
    expect(await ok('pause', 'cli-leash', '--reason', 'a look', '--as', 'ann')).toMatch(/^asked cli-leash to pause \(as ann\)/);
    expect(await cli('resume', 'cli-leash', '--max-steps=-3')).toMatchObject({ code: 1, stderr: expect.stringContaining('--max-steps must be a whole number of at least 1, not "-3"') });
    expect(await cli('pause', 'cli-nobody')).toMatchObject({ code: 1, stderr: expect.stringContaining('no session cli-nobody') });

    const resumed = JSON.parse(await ok('resume', 'cli-leash', '--max-steps', '6', '--json')) as { by: string; duplicate: boolean };
    expect(resumed).toMatchObject({ sessionId: 'cli-leash', by: expect.stringMatching(/^cli/), duplicate: false });
    await completed('cli-leash');
    const events = await client.events('cli-leash');
    expect(events.filter((event) => event.type === 'session.paused')).toHaveLength(1);
    expect(events.find((event) => event.type === 'session.resumed')).toMatchObject({ data: { by: resumed.by, budget: { maxSteps: 6 } } });
    expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded' } });
  });

  it('approvals lists a call held for a person, deny answers it with a note, and a bad id is refused clearly', async () => {
    await client.applyPolicy({ name: 'cli-asks', rules: [{ effect: 'ask', tool: 'workspace.write', id: 'people-write' }] });
    await client.applyAgent({ name: 'cli-careful', model: 'scripted', policy: 'cli-asks', tools: ['workspace.write'], script: [{ tool: 'workspace.write', input: { path: 'a.md', content: 'hi' } }, { final: 'asked' }] });
    await ok('submit', 'cli-careful', 'write it', '--session-id', 'cli-asks');
    await eventsUntil(client, 'cli-asks', (events) => events.some((event) => event.type === 'approval.requested'), 15_000);
    // Each try starts a CLI process, seconds apiece on a loaded CI machine: room for several.
    const [waiting] = await vi.waitFor(async () => {
      const listed = JSON.parse(await ok('approvals', '--json')) as { approvalId: string; sessionId: string; tool: string }[];
      const mine = listed.filter((approval) => approval.sessionId === 'cli-asks');
      if (mine.length === 0) throw new Error('not listed yet');
      return mine;
    }, { timeout: 30_000, interval: 200 });
    expect(waiting).toMatchObject({ tool: 'workspace.write', approvalId: expect.stringMatching(/^cli-asks:[0-9a-f]{12}$/) });
    expect(await ok('approvals')).toContain(`${waiting?.approvalId}  workspace.write  (session cli-asks, agent cli-careful)`);
    expect(await cli('approve', 'cli-asks:nope')).toMatchObject({ code: 1, stderr: expect.stringContaining('is no approval id') });
    expect(await ok('deny', waiting?.approvalId ?? '', '--note', 'not now', '--as', 'bo')).toMatch(/^denied cli-asks:[0-9a-f]{12} \(as bo\)/);
    await completed('cli-asks');
    const events = await client.events('cli-asks');
    expect(events.find((event) => event.type === 'approval.resolved')).toMatchObject({ data: { approved: false, by: 'bo', note: 'not now' } });
    expect(events.find((event) => event.type === 'tool.failed')).toMatchObject({ data: { error: 'permission denied: not approved by bo: not now' } });
  });

  it('bench runs the benchmark runner, which names the benchmarks it does not have', async () => {
    const result = await cli('bench', 'no-such-bench');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/no benchmark named no-such-bench in .*test\/bench/);
  });

  it('submit --follow and tail exit 1 when the session fails, with the status in the last line', async () => {
    await client.applyAgent({ name: 'stumbler', model: 'scripted', tools: ['workspace.list'], script: [{ tool: 'workspace.list', input: {} }] });
    const followed = await cli('submit', 'stumbler', 'go', '--session-id', 'cli-fails', '--follow');
    expect(followed.code).toBe(1);
    expect(lines(followed.stdout).at(-1)).toMatch(/session\.completed +failed \(model call failed \(script_exhausted\)/);
    const tailed = await cli('tail', 'cli-fails');
    expect(tailed.code).toBe(1);
    expect(lines(tailed.stdout).at(-1)).toMatch(/session\.completed +failed/);
  });

  it('submit --output --wait prints the JSON value of the answer; a bad schema file is refused before anything is sent', async () => {
    await client.applyAgent({ name: 'triager', model: 'scripted', tools: [], script: [{ final: '```json\n{"service": "billing", "severity": 2}\n```' }] });
    const dir = await mkdtemp(join(tmpdir(), 'sbx-output-'));
    try {
      const schema = join(dir, 'incident.yaml');
      await writeFile(schema, 'type: object\nrequired: [service, severity]\nproperties:\n  service: { type: string }\n  severity: { type: integer, maximum: 4 }\n');
      const waited = await cli('submit', 'triager', 'Triage it', '--output', schema, '--wait', '--json');
      expect(waited.code).toBe(0);
      expect(JSON.parse(waited.stdout)).toMatchObject({ status: 'succeeded', structuredOutput: { service: 'billing', severity: 2 } });
      const plain = await cli('submit', 'triager', 'Triage it again', '--output', schema, '--wait');
      expect(JSON.parse(plain.stdout)).toEqual({ service: 'billing', severity: 2 });
      const hostile = join(dir, 'hostile.json');
      await writeFile(hostile, JSON.stringify({ type: 'object', properties: { id: { type: 'string', pattern: '(a+)+$' } } }));
      const refused = await cli('submit', 'triager', 'x', '--output', hostile, '--wait');
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/hostile\.json.*may not use "pattern"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('tail prints the timeline live and exits once the session completes', async () => {
    const { sessionId } = await submitDemo();
    const timeline = lines(await ok('tail', sessionId));
    expect(timeline[0]).toMatch(/^#\s+1 .* session\.created +agent=demo model=scripted/);
    expect(timeline.at(-1)).toMatch(/session\.completed +succeeded/);
    expect(timeline.some((line) => line.includes('tool.completed') && line.includes('workspace.write'))).toBe(true);
  });

  it('tail --json prints one event per line, numbered contiguously', async () => {
    const { sessionId } = await submitDemo();
    const events = lines(await ok('tail', sessionId, '--json')).map((line) => JSON.parse(line) as { n: number; type: string; sessionId: string });
    expect(events.map((event) => event.n)).toEqual(events.map((_, index) => index + 1));
    expect(events.every((event) => event.sessionId === sessionId)).toBe(true);
    expect(events[0]?.type).toBe('session.created');
    expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded' } });
  });

  it('inspect prints the events and a summary, or both as JSON', async () => {
    const { sessionId } = await submitDemo();
    await completed(sessionId);
    const [plain, json] = await Promise.all([ok('inspect', sessionId), ok('inspect', sessionId, '--json')]);

    const inspected = JSON.parse(json) as { summary: Record<string, unknown>; events: { n: number; type: string }[] };
    expect(inspected.summary).toMatchObject({ sessionId, agent: 'demo', status: 'succeeded', events: inspected.events.length });
    expect(inspected.events[0]?.type).toBe('session.created');
    expect(inspected.events.at(-1)?.type).toBe('session.completed');

    const printed = lines(plain);
    expect(printed.filter((line) => line.startsWith('#'))).toHaveLength(inspected.events.length);
    expect(printed.at(-1)).toMatch(new RegExp(`^succeeded · ${inspected.events.length} events · \\d+ ms · \\d+ steps · 3 tool calls`));
  });

  it('output prints a tool output that was too long for its event, whole', async () => {
    // The workspace holds it whole; reading it back returns more than a result carries (200,000 characters).
    const content = Array.from({ length: 30_000 }, (_, line) => `line ${line}`).join('\n');
    const script = [{ tool: 'workspace.write', input: { path: 'big.txt', content } }, { tool: 'workspace.read', input: { path: 'big.txt' } }, { final: 'read it' }];
    await client.applyAgent({ name: 'reader', model: 'scripted', tools: ['workspace.write', 'workspace.read'], script });
    await client.submit('reader', { input: 'go', sessionId: 'long-output' });
    await completed('long-output');

    const read = (await client.events('long-output')).find((event) => event.type === 'tool.completed' && event.data.tool === 'workspace.read');
    if (read?.type !== 'tool.completed' || !read.data.wholeOutput) throw new Error(`the read was not stored whole: ${JSON.stringify(read?.data).slice(0, 200)}`);
    // Whole, the output is the line naming the file's revision, then the file.
    const whole = `${read.data.output.slice(0, read.data.output.indexOf('\n'))}\n${content}`;
    expect(whole).toMatch(/^\[revision \d+ of big\.txt; the file's text starts on the next line\]\nline 0\n/);
    expect(read.data.wholeOutput.chars).toBe(whole.length);
    expect(read.data.output).toContain(`the whole output is stored as tool output ${read.data.wholeOutput.sha256}`);
    expect(whole.startsWith(read.data.output.slice(0, read.data.output.lastIndexOf('\n[truncated')))).toBe(true);
    expect(await ok('output', read.data.wholeOutput.sha256)).toBe(whole);
    // Where the timeline cuts it, it names the command that prints it whole.
    const inspected = lines(await ok('inspect', 'long-output')).find((line) => line.includes('tool.completed') && line.includes('workspace.read'));
    expect(inspected).toContain(`whole output (${whole.length} chars): signalbox output ${read.data.wholeOutput.sha256}`);
    // Replaying the run through the decider gives the same events, where the whole output is stored included.
    expect(await client.check('long-output')).toMatchObject({ ok: true });
    expect((await cli('output', '0'.repeat(64))).stderr).toMatch(/no tool output is stored as 0{64}/);
  });

  it('sessions --json lists the session with its agent and status', async () => {
    const { sessionId } = await submitDemo();
    await completed(sessionId);
    const sessions = JSON.parse(await ok('sessions', '--json')) as { sessionId: string }[];
    expect(sessions.find((session) => session.sessionId === sessionId)).toMatchObject({ sessionId, agent: 'demo', status: 'succeeded' });
  });
});

describe('signalbox run', () => {
  it('drains and exits 0 on SIGTERM', async () => {
    expect(services.exitCode).toBeNull();
    services.kill('SIGTERM');
    const timeout = new AbortController();
    const exit = await Promise.race([
      servicesExited,
      sleep(10_000, undefined, { signal: timeout.signal }).then(() => {
        throw new Error(`signalbox run did not exit within 10 s of SIGTERM; stderr: ${servicesStderr}`);
      }),
    ]).finally(() => timeout.abort());
    expect(exit).toEqual({ code: 0, signal: null });
    expect(servicesStderr).toBe('');
  });
});
