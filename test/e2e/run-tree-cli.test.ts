import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { RunTree, TreeEvent } from '@signalbox/client';
import { naming, type SessionEvent } from '@signalbox/events';
import { emptyHead, EventStore, provision } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childCompleted, completed, created, runTreeLogs, sessionLog, spawned, spent, treeIds, treeSpend } from '../fixtures/run-tree.ts';
import { checkout, cliMain, runCli } from '../support/cli-process.ts';

// The run's logs are written here as the session actor would write them, so `--tree` reads and follows real streams.
let server: NatsServer;
let nc: NatsConnection;
let store: EventStore;

const cli = (...args: string[]) => runCli([...args, '--nats', server.url]);
const linesOf = async (...args: string[]) => {
  const { code, stdout } = await cli(...args);
  return { code, lines: stdout.trimEnd().split('\n') };
};
const append = async (events: readonly SessionEvent[]) => {
  const sessionId = events[0]!.sessionId;
  await store.append(sessionId, events, await store.head(sessionId));
};

/** `signalbox <args>` started, its output read as it comes, to act once it has printed something. */
function startCli(...args: string[]) {
  const child = spawn(process.execPath, [cliMain, ...args, '--nats', server.url], { cwd: checkout, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout }));
  const printed = async (text: string) => {
    for (const deadline = Date.now() + 15_000; !stdout.includes(text); await sleep(20)) if (Date.now() > deadline) throw new Error(`never printed ${text}: ${stdout}`);
  };
  return { exited, printed, kill: () => child.kill('SIGKILL') };
}

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  await provision(nc, naming('sbx'));
  store = await EventStore.open(nc, naming('sbx'));
  for (const [sessionId, events] of runTreeLogs()) await store.append(sessionId, events, emptyHead);
});
afterAll(async () => {
  await nc.close();
  await server.dispose();
});

describe('signalbox inspect --tree', () => {
  it('prints the run a line a session, children indented, and the whole tree’s totals', async () => {
    const { code, lines } = await linesOf('inspect', treeIds.lead, '--tree');
    expect(code).toBe(0);
    expect(lines).toHaveLength(7);
    expect(lines[2]).toBe('  coder tree-coder failed · 3 steps · 4 tool calls · 300→60 tokens · $0.5000: the tests still fail');
    expect(lines[4]).toMatch(/^ {4}checker tree-checker succeeded/);
    expect(lines[6]).toBe('5 sessions · 12 steps · 8 tool calls · 1200→240 tokens · $2.1250');
  });

  it('prints the tree as JSON with --json, and says so of a session that has no log', async () => {
    const tree = JSON.parse((await cli('inspect', treeIds.lead, '--tree', '--json')).stdout) as RunTree;
    expect(tree).toMatchObject({ sessions: 5, totals: treeSpend.leadRecorded });
    expect(tree.root.children[2]?.children[0]).toMatchObject({ agent: 'checker', status: 'succeeded', output: 'ok' });
    expect(await cli('inspect', 'no-such-run', '--tree')).toMatchObject({ code: 1, stderr: 'signalbox: no session no-such-run\n' });
  });
});

describe('signalbox tail --tree', () => {
  it('prints every session’s events in its lane and ends once all have completed', async () => {
    const { code, lines } = await linesOf('tail', treeIds.lead, '--tree');
    expect(code).toBe(0);
    expect(lines).toHaveLength(18);
    expect(lines.filter((line) => line.includes('session.completed')).map((line) => line.slice(0, 28).trim())).toEqual(
      expect.arrayContaining(['0 lead …e-lead', '1 researcher …archer', '2 coder …-coder', '3 planner …lanner', '4 checker …hecker']),
    );
  });

  it('follows a child spawned after it started, and exits 1 when the root fails', async () => {
    const root = 'late-lead';
    const child = 'late-child';
    await append(sessionLog(root, [created('lead'), spawned('d1', child, 'helper')], root));
    const tail = startCli('tail', root, '--tree', '--json');
    try {
      // The child has no log yet when its lane starts: it is followed from its first event on.
      await tail.printed('"type":"subagent.spawned"');
      await append(sessionLog(child, [created('helper', { sessionId: root, callId: 'd1' }), completed('succeeded', spent(1, 0, 0.5), { output: 'helped' })], root));
      const rest = [childCompleted('d1', child, 'succeeded', spent(1, 0, 0.5), { output: 'helped' }), completed('failed', spent(2, 1, 1), { reason: 'not enough' })];
      await append(sessionLog(root, [created('lead'), spawned('d1', child, 'helper'), ...rest], root).slice(2));
    } catch (error) {
      tail.kill();
      throw error;
    }
    const { code, stdout } = await tail.exited;
    const events = stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as TreeEvent);
    expect(code).toBe(1);
    expect(events.map((item) => (item.kind === 'event' ? `${item.lane.number} ${item.event.sessionId} #${item.event.n}` : item.kind)).sort()).toEqual(
      [`0 ${root} #1`, `0 ${root} #2`, `0 ${root} #3`, `0 ${root} #4`, `1 ${child} #1`, `1 ${child} #2`].sort(),
    );
  });
});
