import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import { naming, type SessionEvent } from '@signalbox/events';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStore, emptyHead } from './event-store.ts';
import { provision } from './provision.ts';
import { WorkspaceFiles, type WorkspaceView } from './workspace-files.ts';
import { liveWorkspaceView, ownLayer, workspaceViewAt } from './workspace-view.ts';

const names = naming('sbx');
const utf8 = new TextEncoder();
const text = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));
let server: NatsServer;
let nc: NatsConnection;
let files: WorkspaceFiles;
let store: EventStore;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  await provision(nc, names);
  files = await WorkspaceFiles.open(nc, names);
  store = await EventStore.open(nc, names);
});
afterAll(async () => {
  await nc.close();
  await server.dispose();
});

describe('WorkspaceFiles', () => {
  it("reads and lists a run's files at any revision, and never another run's", async () => {
    const first = await files.write('run-a', 'notes/plan.md', utf8.encode('one'));
    const second = await files.write('run-a', 'notes/plan.md', utf8.encode('two, longer'));
    await files.write('run-a', 'todo.txt', utf8.encode('x'));
    await files.write('run-ab', 'notes/other.md', utf8.encode('not yours'));
    expect(second).toBeGreaterThan(first);

    const now: WorkspaceView = [{ root: 'run-a' }];
    expect(text(await files.read(now, 'notes/plan.md'))).toBe('two, longer');
    expect(sorted(await files.list(now))).toEqual([{ path: 'notes/plan.md', size: 11 }, { path: 'todo.txt', size: 1 }]);
    expect(await files.list(now, 'notes/')).toEqual([{ path: 'notes/plan.md', size: 11 }]);

    const then: WorkspaceView = [{ root: 'run-a', upTo: first }];
    expect(text(await files.read(then, 'notes/plan.md'))).toBe('one');
    expect(await files.read(then, 'todo.txt')).toBeUndefined();
    expect(await files.list(then)).toEqual([{ path: 'notes/plan.md', size: 3 }]);
    expect(await files.list([{ root: 'run-none' }])).toEqual([]);
  });

  it("shows a fork its own writes over its origin's files as of the fork point, and leaves the origin's alone", async () => {
    const forkPoint = await files.write('origin', 'a.md', utf8.encode('origin a'));
    await files.write('origin', 'b.md', utf8.encode('written after the fork point'));
    await files.write('fork', 'a.md', utf8.encode('fork a'));
    const fork: WorkspaceView = [{ root: 'fork' }, { root: 'origin', upTo: forkPoint }];
    expect(text(await files.read(fork, 'a.md'))).toBe('fork a');
    expect(await files.read(fork, 'b.md')).toBeUndefined();
    expect(sorted(await files.list(fork))).toEqual([{ path: 'a.md', size: 6 }]);
    expect(text(await files.read([{ root: 'origin' }], 'a.md'))).toBe('origin a');
  });

  it('keeps content written twice once, by its sha256', async () => {
    const jsm = await jetstreamManager(nc);
    const contentMessages = async () => (await jsm.streams.info(`OBJ_${names.objectStores.workspace}`)).state.messages;
    await files.write('dup-1', 'x.md', utf8.encode('same bytes'));
    const before = await contentMessages();
    await files.write('dup-2', 'y.md', utf8.encode('same bytes'));
    expect(await contentMessages()).toBe(before);
    expect(text(await files.read([{ root: 'dup-2' }], 'y.md'))).toBe('same bytes');
  });
});

describe('WorkspaceFiles, conditional writes', () => {
  const write = (root: string, path: string, content: string, ifRevision: number, writeId = `${root}/${content}`) =>
    files.writeIf([{ root }], path, utf8.encode(content), { ifRevision, writeId });
  const textAndRevision = async (root: string, path: string) => {
    const file = await files.file([{ root }], path);
    return file && { text: text(file.content), revision: file.revision };
  };

  it('writes a new file only if it does not exist yet, and a file only at the revision its writer read', async () => {
    const created = await write('cond-a', 'plan.md', 'one', 0);
    if (!created.written) throw new Error('the first write of a new file was refused');
    expect(await write('cond-a', 'plan.md', 'again', 0)).toEqual({ written: false, current: created.revision });
    expect(await textAndRevision('cond-a', 'plan.md')).toEqual({ text: 'one', revision: created.revision });

    const updated = await write('cond-a', 'plan.md', 'two', created.revision);
    if (!updated.written) throw new Error('a write at the current revision was refused');
    // Stale: the revision read before the update.
    expect(await write('cond-a', 'plan.md', 'stale', created.revision)).toEqual({ written: false, current: updated.revision });
    expect(await write('cond-a', 'plan.md', 'never read', updated.revision + 1000)).toEqual({ written: false, current: updated.revision });
    expect(text(await files.read([{ root: 'cond-a' }], 'plan.md'))).toBe('two');
    // An unconditional write still overwrites, whatever the revision.
    const overwritten = await files.write('cond-a', 'plan.md', utf8.encode('last writer wins'));
    expect(await textAndRevision('cond-a', 'plan.md')).toEqual({ text: 'last writer wins', revision: overwritten });
  });

  it('lets exactly one of two writers racing on one path at one revision win; the other learns the winner\'s revision', async () => {
    const other = await connect({ servers: server.url });
    try {
      const second = await WorkspaceFiles.open(other, names);
      const base = await files.write('race', 'shared.md', utf8.encode('base'));
      for (let round = 0; round < 20; round++) {
        const read = (await files.file([{ root: 'race' }], 'shared.md'))!.revision;
        const condition = (who: string) => ({ ifRevision: read, writeId: `${who}/${round}` });
        const outcomes = await Promise.all([
          files.writeIf([{ root: 'race' }], 'shared.md', utf8.encode(`a${round}`), condition('a')),
          second.writeIf([{ root: 'race' }], 'shared.md', utf8.encode(`b${round}`), condition('b')),
        ]);
        const won = outcomes.flatMap((outcome) => (outcome.written ? [outcome.revision] : []));
        const lost = outcomes.flatMap((outcome) => (outcome.written ? [] : [outcome.current]));
        expect(won).toHaveLength(1);
        expect(lost).toEqual(won);
        expect((await files.file([{ root: 'race' }], 'shared.md'))!.revision).toBe(won[0]);
      }
      expect(base).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
  });

  it("answers a write's second try with its first, without a conflict, even after another writer's", async () => {
    const first = await write('retry', 'a.md', 'mine', 0, 'call-1/w1');
    // nats-server 2.15 checks the expected revision before the id: the try is refused, and its first read back.
    expect(await write('retry', 'a.md', 'mine', 0, 'call-1/w1')).toEqual(first);
    const later = await files.write('retry', 'a.md', utf8.encode('someone else, later'));
    expect(await write('retry', 'a.md', 'mine', 0, 'call-1/w1')).toEqual(first);
    expect(await write('retry', 'a.md', 'theirs', 0, 'call-2/w1')).toEqual({ written: false, current: later });
  });

  it("checks a fork's inherited file against the revision it was read at, and never changes the origin's", async () => {
    const forkPoint = await files.write('cond-origin', 'a.md', utf8.encode('origin a'));
    const fork: WorkspaceView = [{ root: 'cond-fork' }, { root: 'cond-origin', upTo: forkPoint }];
    expect((await files.file(fork, 'a.md'))?.revision).toBe(forkPoint);
    expect(await files.writeIf(fork, 'a.md', utf8.encode('new'), { ifRevision: 0, writeId: 'f/1' })).toEqual({ written: false, current: forkPoint });
    const own = await files.writeIf(fork, 'a.md', utf8.encode('fork a'), { ifRevision: forkPoint, writeId: 'f/2' });
    if (!own.written) throw new Error('a write at the inherited revision was refused');
    expect(await files.writeIf(fork, 'a.md', utf8.encode('stale'), { ifRevision: forkPoint, writeId: 'f/3' })).toEqual({ written: false, current: own.revision });
    expect(text(await files.read(fork, 'a.md'))).toBe('fork a');
    expect(text(await files.read([{ root: 'cond-origin' }], 'a.md'))).toBe('origin a');
  });
});

describe('WorkspaceFiles, deletions', () => {
  const condition = (ifRevision: number, writeId: string) => ({ ifRevision, writeId });

  it('reads, lists and writes a deleted path as holding no file, at the revisions after its deletion only', async () => {
    const written = await files.write('del-a', 'gone.md', utf8.encode('soon gone'));
    await files.write('del-a', 'kept.md', utf8.encode('kept'));
    const deleted = await files.delete('del-a', 'gone.md');
    const now: WorkspaceView = [{ root: 'del-a' }];
    expect(await files.file(now, 'gone.md')).toBeUndefined();
    expect(await files.list(now)).toEqual([{ path: 'kept.md', size: 4 }]);
    expect(text(await files.read([{ root: 'del-a', upTo: written }], 'gone.md'))).toBe('soon gone');

    // No file now: a write that expects none succeeds, one that expects the old file conflicts.
    expect(await files.writeIf(now, 'gone.md', utf8.encode('stale'), condition(written, 'del-a/1'))).toEqual({ written: false, current: 0 });
    const again = await files.writeIf(now, 'gone.md', utf8.encode('back'), condition(0, 'del-a/2'));
    expect(again).toEqual({ written: true, revision: expect.any(Number) as number });
    expect(text(await files.read(now, 'gone.md'))).toBe('back');
    expect(deleted).toBeGreaterThan(written);
  });

  it('deletes only at the revision its deleter read, and answers a deletion of no file with a conflict', async () => {
    const first = await files.write('del-b', 'a.md', utf8.encode('one'));
    const second = await files.write('del-b', 'a.md', utf8.encode('two'));
    const view: WorkspaceView = [{ root: 'del-b' }];
    expect(await files.deleteIf(view, 'a.md', condition(first, 'del-b/1'))).toEqual({ written: false, current: second });
    expect(text(await files.read(view, 'a.md'))).toBe('two');
    const deleted = await files.deleteIf(view, 'a.md', condition(second, 'del-b/2'));
    expect(deleted.written).toBe(true);
    expect(await files.read(view, 'a.md')).toBeUndefined();
    expect(await files.deleteIf(view, 'a.md', condition(second, 'del-b/3'))).toEqual({ written: false, current: 0 });
  });

  it("hides a fork's inherited file from the fork once the fork deletes it, and leaves the origin's alone", async () => {
    const forkPoint = await files.write('del-origin', 'a.md', utf8.encode('origin a'));
    await files.write('del-origin', 'b.md', utf8.encode('origin b'));
    const fork: WorkspaceView = [{ root: 'del-fork' }, { root: 'del-origin' }];
    const deleted = await files.deleteIf(fork, 'a.md', condition(forkPoint, 'del-fork/1'));
    expect(deleted.written).toBe(true);
    expect(await files.read(fork, 'a.md')).toBeUndefined();
    expect(sorted(await files.list(fork))).toEqual([{ path: 'b.md', size: 8 }]);
    expect(text(await files.read([{ root: 'del-origin' }], 'a.md'))).toBe('origin a');
    // The inherited file is gone for the fork: only "no file yet" is true of it now.
    expect(await files.writeIf(fork, 'a.md', utf8.encode('x'), condition(forkPoint, 'del-fork/2'))).toEqual({ written: false, current: 0 });
    expect((await files.writeIf(fork, 'a.md', utf8.encode('fork a'), condition(0, 'del-fork/3'))).written).toBe(true);
    expect(text(await files.read(fork, 'a.md'))).toBe('fork a');
  });
});

describe('workspace views from the log', () => {
  it("takes a fork's origin, as of its fork point, from the fork's session.created, through forks of forks", async () => {
    await append('v-origin', [created('v-origin'), completed('v-origin', 2, 10), completed('v-origin', 3, 20), completed('v-origin', 4, 30)]);
    await append('v-fork', [created('v-fork', { sessionId: 'v-origin', n: 3 }), completed('v-fork', 2, 10), completed('v-fork', 3, 20), completed('v-fork', 4, 40)]);
    await append('v-fork2', [created('v-fork2', { sessionId: 'v-fork', n: 4 }), completed('v-fork2', 2, 10)]);

    expect(await liveWorkspaceView(store, 'v-origin')).toEqual([{ root: 'v-origin' }]);
    expect(await liveWorkspaceView(store, 'v-fork')).toEqual([{ root: 'v-fork' }, { root: 'v-origin', upTo: 20 }]);
    expect(await liveWorkspaceView(store, 'v-fork2')).toEqual([{ root: 'v-fork2' }, { root: 'v-fork', upTo: 40 }, { root: 'v-origin', upTo: 20 }]);
    // Replayed to an event within the fork's copied start, a fork's workspace is its origin's there.
    expect(await workspaceViewAt(store, 'v-fork', 2)).toEqual([{ root: 'v-origin', upTo: 10 }]);
    expect(await workspaceViewAt(store, 'v-origin', 1)).toEqual([]);
    expect(await liveWorkspaceView(store, 'no-such-run')).toEqual([{ root: 'no-such-run' }]);
  });

  it("counts only a fork's own events after its fork point for its own layer", () => {
    const events = [created('f', { sessionId: 'o', n: 2 }), completed('f', 2, 50), completed('f', 3, 70)];
    expect(ownLayer('f', events, 2)).toEqual([{ root: 'f', upTo: 70 }]);
    expect(ownLayer('f', events, 3)).toEqual([]);
  });
});

function sorted<T extends { path: string }>(entries: T[]): T[] {
  return entries.sort((a, b) => (a.path < b.path ? -1 : 1));
}

async function append(sessionId: string, events: SessionEvent[]): Promise<void> {
  let head = emptyHead;
  for (const event of events) head = await store.append(sessionId, [event], head);
}

function envelope(sessionId: string, n: number) {
  return { id: `${sessionId}-${n}`, v: 1, sessionId, n, at: n, causationId: null, correlationId: sessionId, by: { service: 'test', instance: 't' } };
}

function created(sessionId: string, forkedFrom?: { sessionId: string; n: number }): SessionEvent {
  const agent = { name: 'a', model: 'scripted', system: '', tools: [], budget: { maxSteps: 5 }, maxTokens: 64, subagents: [], script: [{ final: 'x' }] };
  const data = { agent, input: 'x', tools: [], budget: { maxSteps: 5 }, deciderVersion: 2, ...(forkedFrom ? { forkedFrom } : {}) };
  return { ...envelope(sessionId, 1), type: 'session.created', data };
}

function completed(sessionId: string, n: number, workspaceRevision: number): SessionEvent {
  return { ...envelope(sessionId, n), type: 'tool.completed', data: { callId: `c${n}`, tool: 'workspace.write', output: 'ok', durationMs: 1, workspaceRevision } };
}
