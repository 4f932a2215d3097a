import { createHash } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { encode } from '@signalbox/events';
import { retentionSweeperService } from '@signalbox/retention-sweeper';
import { RuntimeConfig, scheduleCommand, startHost } from '@signalbox/runtime';
import type { DeletionHook } from '@signalbox/store';
import { supervisorService } from '@signalbox/supervisor';
import { defineTool, workspaceTools } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { runCli } from '../support/cli-process.ts';
import { startTestRuntime, succeededSession, type TestRuntime } from '../support/runtime.ts';
import { findEverywhere } from '../support/stored-everywhere.ts';

/** Content only one session produces, which does not hold its id: what a deletion must leave nowhere. */
const uniqueOf = (sessionId: string) => `private-${createHash('sha256').update(sessionId).digest('hex').slice(0, 20)}`;
const sharedLine = 'SHARED-REPORT-LINE-0123456789\n';

const keepNotes = defineTool({
  name: 'notes.keep',
  description: "writes the session's private notes to the workspace",
  input: z.object({}),
  run: async (_input, context) => {
    await context.workspace.write('notes.md', new TextEncoder().encode(`notes: ${uniqueOf(context.sessionId)}`));
    return 'kept';
  },
});

/** Longer than a result carries (200,000 characters), so it is stored whole: the same text for every session when shared. */
const longReport = defineTool({
  name: 'report.long',
  description: 'a report too long for its event',
  input: z.object({ shared: z.boolean() }),
  run: ({ shared }, context) => (shared ? sharedLine : `${uniqueOf(context.sessionId)}-report\n`).repeat(8_000),
});

const script = [
  { tool: 'notes.keep', input: {} },
  { tool: 'report.long', input: { shared: true } },
  { tool: 'report.long', input: { shared: false } },
  { final: 'filed' },
];
const archivist = { name: 'archivist', model: 'scripted', system: 'You file.', tools: ['notes.keep', 'report.long'], script };
const ephemeral = { ...archivist, name: 'ephemeral', retention: '1h' };

let runtime: TestRuntime;
let sharedSha: string;

beforeAll(async () => {
  // Snapshots every other event, and a supervisor following the log, so the sessions leave snapshots
  // and the event subscriber's copy of their events to delete too.
  runtime = await startTestRuntime({
    agents: [archivist, ephemeral],
    tools: [...workspaceTools, keepNotes, longReport],
    actor: { snapshotEvery: 2 },
    services: [supervisorService()],
  });
  for (const [sessionId, team] of [['doomed-1', 'red'], ['survivor-1', 'blue']] as const) {
    await runtime.client.submit('archivist', { input: 'File it', sessionId, metadata: { team } });
    await succeededSession(runtime.client, sessionId, 20_000);
  }
  const afterNotes = (await runtime.client.events('doomed-1')).find((event) => event.type === 'tool.completed')!.n;
  await runtime.client.fork('doomed-1', { at: afterNotes, sessionId: 'doomed-fork' });
  await succeededSession(runtime.client, 'doomed-fork', 20_000);
  await leaveTracesOutsideTheLog('doomed-1');
  const survivor = await runtime.client.events('survivor-1');
  sharedSha = survivor.flatMap((event) => (event.type === 'tool.completed' && event.data.wholeOutput ? [event.data.wholeOutput.sha256] : []))[0]!;
}, 90_000);
afterAll(() => runtime.dispose());

/**
 * What a session leaves outside its own subjects: a dead letter (a command its actor refused), a
 * timer still to fire, and a job no executor takes; the deletion must find them by their content.
 */
async function leaveTracesOutsideTheLog(sessionId: string): Promise<void> {
  const { nc, client } = runtime;
  const deadLettersBefore = (await client.deadLetters(100)).length;
  await jetstream(nc).publish(client.names.subjects.inbox(sessionId), encode({ type: 'no-such-command', sessionId }));
  await vi.waitFor(async () => expect((await client.deadLetters(100)).length).toBe(deadLettersBefore + 1), { timeout: 10_000, interval: 50 });
  await scheduleCommand(nc, client.names, sessionId, Date.now() + 24 * 3_600_000, { type: 'pause', sessionId, by: 'test', reason: uniqueOf(sessionId) });
  await jetstream(nc).publish(client.names.subjects.toolJob('nobody.offers'), encode({ sessionId, note: uniqueOf(sessionId) }));
}

const cli = (...args: string[]) => runCli(['--nats', runtime.server.url, 'sessions', 'delete', ...args], { timeoutMs: 60_000 });

describe('deleting a session', () => {
  it('refuses a session with a fork, naming it, and deletes nothing', async () => {
    const run = await cli('doomed-1');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('refused: doomed-1 has forks doomed-fork: delete them first, or add --cascade');
    expect(await runtime.client.hasSession('doomed-1')).toBe(true);
  });

  it.each([['*'], ['>'], ['doomed-1.>'], ['sbx.events.*'], ['doomed-*']])('refuses the hostile id %j and purges nothing', async (id) => {
    expect(await runtime.client.deleteSessions([id], { cascade: true })).toEqual({ kind: 'refused', refusals: [{ reason: 'invalid-id', sessionId: id }] });
    expect(await runtime.client.hasSession('doomed-1')).toBe(true);
    expect(await runtime.client.hasSession('survivor-1')).toBe(true);
  });

  it('lists what a --where filter chooses and deletes it only with --yes; a malformed filter is an error', async () => {
    const listed = await cli('--where', 'team=red', '--cascade');
    expect(listed.code).toBe(1);
    expect(listed.stdout).toContain('would delete doomed-fork (with its workspace)');
    expect(listed.stdout).toContain('would delete doomed-1 (with its workspace)');
    expect(listed.stderr).toContain('nothing deleted: 2 session(s) match; add --yes to delete them');
    const hostile = await cli('--where', '*', '--yes');
    expect(hostile.code).toBe(1);
    expect(hostile.stderr).toContain('a --where filter is key=value');
    expect(await runtime.client.hasSession('doomed-1')).toBe(true);
  });

  it('with --cascade removes the session and its fork from every stream, bucket and object store, and leaves the other session whole', async () => {
    const needles = ['doomed-1', 'doomed-fork', uniqueOf('doomed-1'), uniqueOf('doomed-fork')];
    const before = new Set((await findEverywhere(runtime.nc, needles)).map(({ stream }) => stream));
    const everyKind = ['SBX_EVENTS', 'SBX_EVENT_PARTITIONS', 'SBX_WORKSPACE', 'SBX_DLQ', 'SBX_TIMERS', 'SBX_JOBS', 'KV_sbx-sessions', 'KV_sbx-snapshots', 'KV_sbx-tool-ledger', 'KV_sbx-references', 'OBJ_sbx-workspace', 'OBJ_sbx-tool-outputs'];
    expect([...before].sort()).toEqual(expect.arrayContaining(everyKind));

    const run = await cli('--where', 'team=red', '--cascade', '--yes', '--json');
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual({ deleted: ['doomed-fork', 'doomed-1'], failed: [] });

    expect(await findEverywhere(runtime.nc, needles)).toEqual([]);
    expect(await runtime.client.events('survivor-1')).toHaveLength((await runtime.client.sessions()).find((s) => s.sessionId === 'survivor-1')!.lastN);
    expect(await runtime.client.toolOutput(sharedSha)).toBe(sharedLine.repeat(8_000));
    expect((await findEverywhere(runtime.nc, [uniqueOf('survivor-1')])).map(({ stream }) => stream)).toEqual(
      expect.arrayContaining(['SBX_EVENTS', 'OBJ_sbx-workspace', 'OBJ_sbx-tool-outputs']),
    );
    expect(await runtime.client.workspaceAt('survivor-1')).toEqual([{ path: 'notes.md', size: `notes: ${uniqueOf('survivor-1')}`.length }]);
  });

  it('refuses a session still running (here, holding a call for approval) until it is aborted', async () => {
    await runtime.client.applyPolicy({ name: 'ask-first', rules: [{ effect: 'ask', tool: 'notes.keep' }] });
    await runtime.client.applyAgent({ ...archivist, name: 'careful', policy: 'ask-first' });
    await runtime.client.submit('careful', { input: 'File it', sessionId: 'waiting-1' });
    await vi.waitFor(async () => expect((await runtime.client.approvals()).map(({ sessionId }) => sessionId)).toContain('waiting-1'), { timeout: 10_000, interval: 50 });
    expect(await runtime.client.deleteSessions(['waiting-1'], { cascade: true })).toEqual({ kind: 'refused', refusals: [{ reason: 'not-completed', sessionId: 'waiting-1', status: 'running' }] });
    expect(await runtime.client.hasSession('waiting-1')).toBe(true);
  });

  it('is idempotent: deleting it again finds no session and changes nothing', async () => {
    expect(await runtime.client.deleteSessions(['doomed-1'])).toEqual({ kind: 'refused', refusals: [{ reason: 'not-found', sessionId: 'doomed-1' }] });
  });

  it("reports another store's hook that fails, keeps the session (its log) and finishes when run again", async () => {
    // `memory` is a built-in hook now (#21): another store's stands in.
    const failing: DeletionHook = { name: 'search-index', deleteSession: () => Promise.reject(new Error('the search index is down')) };
    expect(await runtime.client.deleteSessions(['survivor-1'], { hooks: [failing] })).toMatchObject({
      kind: 'deleted',
      report: { deleted: [], failed: [{ sessionId: 'survivor-1', hook: 'search-index', error: 'the search index is down' }] },
    });
    expect(await runtime.client.hasSession('survivor-1')).toBe(true);
    expect((await runtime.client.planDeletion(['survivor-1'])).kind).toBe('delete');
  });

  it('deletes the shared long output with the last session that refers to it', async () => {
    const seen: string[] = [];
    const searchIndex: DeletionHook = { name: 'search-index', deleteSession: async ({ sessionId, events }) => void seen.push(`${sessionId}:${events.length > 0}`) };
    expect(await runtime.client.deleteSessions(['survivor-1'], { hooks: [searchIndex] })).toMatchObject({ kind: 'deleted', report: { deleted: ['survivor-1'], failed: [] } });
    expect(seen).toEqual(['survivor-1:true']);
    expect(await runtime.client.toolOutput(sharedSha)).toBeUndefined();
    expect(await findEverywhere(runtime.nc, ['survivor-1', uniqueOf('survivor-1'), 'SHARED-REPORT-LINE'])).toEqual([]);
  });
});

describe('the retention sweeper', () => {
  it("deletes a completed session once its agent's retention has passed, judged by an injected clock", async () => {
    await runtime.client.submit('ephemeral', { input: 'File it', sessionId: 'expiring-1' });
    await succeededSession(runtime.client, 'expiring-1', 20_000);
    const config = RuntimeConfig.parse({ natsUrl: runtime.server.url, logLevel: 'silent', instance: 'sweeper-test' });
    const early = await startHost([retentionSweeperService({ clock: () => Date.now() + 30 * 60_000, sweepEveryMs: 100 })], config);
    // A sweep that finds the session within its hour keeps it; the sweeper logs nothing to wait on, so
    // the check is that a later sweeper (two hours on) is what deletes it.
    await early.stop();
    expect(await runtime.client.hasSession('expiring-1')).toBe(true);
    const sweepers = await Promise.all(
      ['a', 'b'].map((replica) => startHost([retentionSweeperService({ clock: () => Date.now() + 2 * 3_600_000, sweepEveryMs: 100 })], { ...config, instance: `sweeper-${replica}` })),
    );
    try {
      await vi.waitFor(async () => expect(await runtime.client.hasSession('expiring-1')).toBe(false), { timeout: 20_000, interval: 100 });
      await vi.waitFor(async () => expect(await findEverywhere(runtime.nc, ['expiring-1', uniqueOf('expiring-1')])).toEqual([]), { timeout: 20_000, interval: 200 });
    } finally {
      await Promise.all(sweepers.map((sweeper) => sweeper.stop()));
    }
  });
});
