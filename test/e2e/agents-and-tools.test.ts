import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import { toolJobDurable } from '@signalbox/events';
import { RuntimeConfig, startHost, type Host } from '@signalbox/runtime';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { sessionActorService } from '@signalbox/session-actor';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { defineTool, toolExecutorService, workspaceTools } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkout, cliMain, runCli } from '../support/cli-process.ts';
import { eventsUntil, scriptedAgent } from '../support/runtime.ts';

// A new user's first hour with agents and tools: files with mistakes, tools nobody runs, executors stopped.

let server: NatsServer;
let actors: Host;
let executors: Host;
let executorsStopped: Promise<void> | undefined;
let nc: NatsConnection;
let client: SignalboxClient;
let dir: string;
let config: RuntimeConfig;
let env: NodeJS.ProcessEnv;

// Each command is a node process of its own, started cold: on a busy two-core machine they take seconds each.
const signalbox = (...args: string[]) => runCli(args, { env, timeoutMs: 45_000 });

/** Writes an agent file into the test's directory and returns its path. */
async function agentFile(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function isStored(agent: string): Promise<boolean> {
  const entry = await (await new Kvm(nc).open(client.names.buckets.agents)).get(agent);
  return entry?.operation === 'PUT';
}

/** Stops every tool executor, once. */
function stopExecutors(): Promise<void> {
  executorsStopped ??= executors?.stop();
  return executorsStopped ?? Promise.resolve();
}

beforeAll(async () => {
  server = await startNatsServer();
  config = RuntimeConfig.parse({ natsUrl: server.url, logLevel: 'silent', instance: 'test' });
  actors = await startHost([sessionActorService(), permissionBrokerService()], config);
  executors = await startHost([toolExecutorService({ tools: workspaceTools })], config);
  nc = await connect({ servers: server.url });
  client = await SignalboxClient.open(nc);
  dir = await mkdtemp(join(tmpdir(), 'sbx-agents-'));
  const { SIGNALBOX_PROVIDERS: _providers, ...rest } = process.env;
  env = { ...rest, NATS_URL: server.url, LOG_LEVEL: 'silent', NO_COLOR: '1', SIGNALBOX_PREFIX: 'sbx', NODE_COMPILE_CACHE: join(dir, 'compile-cache') };
});

afterAll(async () => {
  await nc?.close();
  await stopExecutors();
  await actors?.stop();
  await server?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('agents and tools that cannot run', { timeout: 120_000 }, () => {
  it('agents apply names the file, line and column of a YAML or JSON syntax error, and applies nothing', async () => {
    const unclosed = await agentFile('unclosed.yaml', 'name: unclosed\nmodel: scripted\ntools: [workspace.read\nscript: [{ final: done }]\n');
    const truncated = await agentFile('truncated.json', '{\n  "name": "truncated",\n  "model": "scr');
    const [yaml, json] = await Promise.all([signalbox('agents', 'apply', '-f', unclosed), signalbox('agents', 'apply', '-f', truncated)]);
    expect(yaml).toMatchObject({ code: 1, stdout: '' });
    expect(yaml.stderr).toBe(`${unclosed}:4:1: Flow sequence in block collection must be sufficiently indented and end with a ]\n`);
    expect(json).toMatchObject({ code: 1, stdout: '', stderr: `${truncated}:3:16: Unterminated string\n` });
    expect([await isStored('unclosed'), await isStored('truncated')]).toEqual([false, false]);
  });

  it('agents apply gives one line per schema problem, with the path of the field', async () => {
    const file = await agentFile('invalid.yaml', 'name: invalid\nmodel: openai/gpt-4.1\nbudget: { maxSteps: 0 }\ncolour: blue\n');
    expect(await signalbox('agents', 'apply', '-f', file)).toEqual({
      code: 1,
      stdout: '',
      stderr: `${file}:3:21: budget.maxSteps: must be at least 1\n${file}:4:1: colour: unknown field\n`,
    });
  });

  it('agents apply warns of an unknown provider and an unadvertised tool; --strict refuses them and applies nothing', async () => {
    const agent = (name: string) => `name: ${name}\nmodel: vllm/llama-3.1\ntools: [workspace.read, web.fetch]\n`;
    const [lenient, strict] = await Promise.all([
      signalbox('agents', 'apply', '-f', await agentFile('lenient.yaml', agent('lenient'))),
      signalbox('agents', 'apply', '--strict', '-f', await agentFile('strict.yaml', agent('strict'))),
    ]);
    const provider = 'model "vllm/llama-3.1" names provider "vllm", which is not configured here (anthropic, ollama, openai): add it to SIGNALBOX_PROVIDERS where the session actors run, or its sessions fail at their first model call';
    const tool = 'no executor has advertised tool "web.fetch": start a tool executor that offers it, or tasks for this agent are dead-lettered until one does';
    expect(lenient).toEqual({ code: 0, stdout: 'applied agent lenient (vllm/llama-3.1)\n', stderr: `warning: agent "lenient": ${provider}\nwarning: agent "lenient": ${tool}\n` });
    expect(strict).toEqual({ code: 1, stdout: '', stderr: `error: agent "strict": ${provider}\nerror: agent "strict": ${tool}\nnothing applied (--strict)\n` });
    expect([await isStored('lenient'), await isStored('strict')]).toEqual([true, false]);
  });

  it('a task whose agent names a tool never advertised is dead-lettered at once, says what to do, and runs once re-driven', async () => {
    await client.applyAgent({ name: 'fetcher', model: 'scripted', tools: ['web.fetch'], script: [{ tool: 'web.fetch', input: {} }, { final: 'fetched' }] });
    const started = Date.now();
    const submitted = await signalbox('submit', 'fetcher', 'fetch the news', '--session-id', 'fetch-1');
    expect(Date.now() - started).toBeLessThan(15_000);
    const letters = (await client.deadLetters(100)).filter((letter) => letter.from === 'sbx.tasks.fetcher');
    const line = 'no executor has advertised web.fetch; start one, then `signalbox redrive <seq>`';
    expect(letters.map(({ reason, deliveries }) => ({ reason, deliveries }))).toEqual([{ reason: line, deliveries: 1 }]);
    const seq = String(letters[0]?.seq);
    expect(submitted).toMatchObject({ code: 1, stdout: '', stderr: `signalbox: task rejected: ${line.replace('<seq>', seq)}\n` });
    expect(await client.events('fetch-1')).toEqual([]);

    const webFetch = defineTool({ name: 'web.fetch', description: 'Fetch the news', input: z.object({}), run: async () => 'no news' });
    const fetchers = await startHost([toolExecutorService({ tools: [webFetch] })], config);
    try {
      expect(await signalbox('redrive', seq)).toMatchObject({ code: 0, stdout: `re-drove ${seq} to sbx.tasks.fetcher\n` });
      const events = await eventsUntil(client, 'fetch-1', (so) => so.at(-1)?.type === 'session.completed');
      expect(events.at(-1)).toMatchObject({ data: { status: 'succeeded', output: 'fetched' } });
    } finally {
      await fetchers.stop();
    }
  });

  it('a call to a tool whose executors are all stopped waits, and doctor, inspect and tail say which tool waits', async () => {
    await client.applyAgent(scriptedAgent());
    await stopExecutors();
    const jsm = await jetstreamManager(nc);
    // A stopped executor's last pull requests stay with the server until they expire (5 s).
    while ((await jsm.consumers.info(client.names.streams.jobs, toolJobDurable('workspace.write'))).num_waiting > 0) await sleep(200);
    await client.submit('scribe', { input: 'note it', sessionId: 'stalled' });
    await eventsUntil(client, 'stalled', (events) => events.some((event) => event.type === 'tool.requested'));

    const waiting = 'workspace.write: 1 job waiting, no executor pulling: start a tool executor that offers it';
    const [inspected, doctored, tailed] = await Promise.all([signalbox('inspect', 'stalled'), signalbox('doctor', '--monitor', 'http://127.0.0.1:1'), tailUntil('stalled', waiting)]);
    expect(inspected.stdout.trimEnd().split('\n').at(-1)).toBe(`waiting: ${waiting}`);
    expect(doctored.stdout).toContain(`${waiting} (consumer ${toolJobDurable('workspace.write')}).`);
    expect(tailed).toContain(`waiting: ${waiting}\n`);
  });
});

/** Runs `signalbox tail <sessionId>` until its stderr says `expected`, then stops it; returns that stderr. */
function tailUntil(sessionId: string, expected: string): Promise<string> {
  const tail = spawn(process.execPath, [cliMain, 'tail', sessionId], { cwd: checkout, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      tail.kill('SIGKILL');
      reject(new Error(`tail did not say "${expected}" within 20 s; stderr: ${stderr}`));
    }, 20_000);
    tail.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!stderr.includes(expected)) return;
      clearTimeout(timer);
      tail.kill('SIGTERM');
      resolve(stderr);
    });
  });
}
