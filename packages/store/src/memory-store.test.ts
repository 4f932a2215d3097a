import { jetstreamManager, type MsgRequest } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { DecodeError, maxMemoryTextChars, naming, type MemoryChange, type MemoryOrigin } from '@signalbox/events';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInDeletionHooks } from './built-in-deletion-hooks.ts';
import { memoryEntryId } from './memory-changes.ts';
import { MemoryStoreError } from './memory-errors.ts';
import { deletedSessionAlias } from './memory-evidence.ts';
import { MemoryStore } from './memory-store.ts';
import { provision } from './provision.ts';

const names = naming('sbx');
let server: NatsServer;
let nc: NatsConnection;
let memory: MemoryStore;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  await provision(nc, names);
  memory = await MemoryStore.open(nc, names);
});
afterAll(async () => {
  await nc.close();
  await server.dispose();
});

async function defined(store: string): Promise<string> {
  await memory.define({ name: store, agents: ['coder'], promotion: 'review' });
  return store;
}

const draft = (text: string, sessionId?: string) => ({ text, scope: 'team' as const, confidence: 0.7, evidence: sessionId ? [{ sessionId, events: [2] }] : [] });
const writeOf = (text: string, sessionId = 's-1', event = 2) => ({ id: memoryEntryId(`${sessionId}/${event}`), draft: draft(text, sessionId), author: { kind: 'session' as const, sessionId, event } });
const consolidation: MemoryOrigin = { kind: 'consolidation', jobId: 'job-1', provider: 'scripted', model: 'scripted/dreamer', sessions: ['s-1'] };
const add = (text: string, held?: string): MemoryChange => ({ kind: 'add', id: memoryEntryId(text), draft: draft(text), ...(held ? { held } : {}) });
const texts = (version: { entries: { text: string }[] } | undefined) => version?.entries.map(({ text }) => text);
const codeOf = (promise: Promise<unknown>) => promise.then(() => 'resolved', (error: unknown) => (error instanceof MemoryStoreError ? error.code : String(error)));

describe('MemoryStore', () => {
  it('stores definitions and lists them by name', async () => {
    await memory.define({ name: 'zeta', agents: ['a'], promotion: 'auto' });
    await defined('alpha');
    expect(await memory.definition('zeta')).toEqual({ name: 'zeta', agents: ['a'], promotion: 'auto' });
    expect((await memory.definitions()).map(({ name }) => name)).toEqual(expect.arrayContaining(['alpha', 'zeta']));
    expect(await memory.definition('nope')).toBeUndefined();
  });

  it('keeps every one of 20 concurrent writes, as versions 1 to 20, and a redone write once', async () => {
    const store = await defined('busy');
    const written = await Promise.all(Array.from({ length: 20 }, (_, index) => memory.write(store, writeOf(`fact ${index}`, `s-${index}`), 1_000 + index)));
    expect(written.map(({ version }) => version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    const head = await memory.head(store);
    expect(head?.version).toBe(20);
    expect(head?.entries).toHaveLength(20);
    const versions = await memory.versions(store);
    expect(versions.map(({ version, parent }) => [version, parent])).toEqual(Array.from({ length: 20 }, (_, index) => [index + 1, index]));

    const again = await memory.write(store, writeOf('fact 3', 's-3'), 5_000);
    expect(again).toMatchObject({ existed: true, version: 20, entry: { text: 'fact 3' } });
    expect((await memory.head(store))?.version).toBe(20);
  });

  it('proposes, promotes onto a head that moved, rejects, and refuses deciding twice', async () => {
    const store = await defined('review');
    await memory.write(store, writeOf('written first'), 1);
    const proposed = await memory.propose(store, [add('dreamt')], consolidation, 2);
    expect(proposed).toMatchObject({ version: 2, parent: 1, state: 'proposed' });
    expect((await memory.head(store))?.version).toBe(1);
    await memory.write(store, writeOf('written meanwhile', 's-2'), 3);

    const promoted = await memory.promote(store, 2, 'ada', 4);
    expect(promoted).toMatchObject({ version: 2, parent: 3, state: 'promoted', promoted: { by: 'ada', at: 4 } });
    expect(texts(promoted)).toEqual(['written first', 'written meanwhile', 'dreamt']);
    expect((await memory.head(store))?.version).toBe(2);
    expect(await codeOf(memory.promote(store, 2, 'bob', 5))).toBe('version_decided');

    const other = await memory.propose(store, [add('doubtful')], consolidation, 6);
    expect(await memory.reject(store, other.version, 'bob', 7)).toMatchObject({ state: 'rejected', rejected: { by: 'bob', at: 7 } });
    expect(await codeOf(memory.promote(store, other.version, 'ada', 8))).toBe('version_decided');
    expect(await codeOf(memory.promote(store, 99, 'ada', 8))).toBe('unknown_version');
  });

  it('loses no write while a consolidation is promoted at the same time', async () => {
    const store = await defined('racing');
    const proposed = await memory.propose(store, [add('dreamt while writing')], consolidation, 1);
    await Promise.all([
      ...Array.from({ length: 10 }, (_, index) => memory.write(store, writeOf(`write ${index}`, `s-${index}`), 2 + index)),
      memory.promote(store, proposed.version, 'consolidator', 20, { heldToo: false }),
    ]);
    const head = await memory.head(store);
    expect(head?.entries).toHaveLength(11);
    expect((await memory.versions(store)).map(({ version }) => version)).toEqual(Array.from({ length: 11 }, (_, index) => index + 1));
  });

  it('keeps every write, and decides each proposal once, under writes, promotions and rejections at the same time', async () => {
    const store = await defined('mixed');
    const [p1, p2, p3] = await Promise.all(['one', 'two', 'three'].map((text, index) => memory.propose(store, [add(`dreamt ${text}`)], consolidation, index)));
    if (!p1 || !p2 || !p3) throw new Error('three proposals');
    const decisions = await Promise.all([
      ...Array.from({ length: 30 }, (_, index) => memory.write(store, writeOf(`mixed ${index}`, `m-${index}`), 10 + index).then(() => 'written')),
      codeOf(memory.promote(store, p1.version, 'ada', 50, { heldToo: false })),
      codeOf(memory.promote(store, p1.version, 'bob', 50)),
      codeOf(memory.promote(store, p2.version, 'ada', 51)),
      codeOf(memory.reject(store, p3.version, 'bob', 52)),
    ]);
    expect(decisions.filter((decision) => decision === 'written')).toHaveLength(30);
    expect(decisions.slice(30, 32).sort()).toEqual(['resolved', 'version_decided']);
    expect(decisions.slice(32)).toEqual(['resolved', 'resolved']);
    const versions = await memory.versions(store);
    expect(versions.map(({ version }) => version)).toEqual(Array.from({ length: 33 }, (_, index) => index + 1));
    expect(versions.map(({ state }) => state).filter((state) => state !== 'promoted')).toEqual(['rejected']);
    const head = await memory.head(store);
    expect(texts(head)?.sort()).toEqual([...Array.from({ length: 30 }, (_, index) => `mixed ${index}`), 'dreamt one', 'dreamt two'].sort());
  });

  it('finishes a version whose writer was cut off before it moved the head', async () => {
    const store = await defined('cut-off');
    const first = await memory.write(store, writeOf('before'), 1);
    const head = await memory.head(store);
    // What a writer leaves when it dies between creating its version and moving the head.
    const orphan = { ...head, version: 2, parent: 1, changes: [add('orphaned')], entries: [...(head?.entries ?? []), { ...first.entry, id: memoryEntryId('orphaned'), text: 'orphaned', addedIn: 2 }] };
    await (await new Kvm(nc).open(names.buckets.memory)).create(`${store}.v.2`, JSON.stringify(orphan));
    const next = await memory.write(store, writeOf('after', 's-2'), 3);
    expect(next.version).toBe(3);
    expect(texts(await memory.head(store))).toEqual(['before', 'orphaned', 'after']);
  });

  it('leaves a version holding a held change to a person', async () => {
    const store = await defined('held');
    const proposed = await memory.propose(store, [add('plain'), add('risky', 'contradicts an entry')], consolidation, 1);
    expect(await codeOf(memory.promote(store, proposed.version, 'consolidator', 2, { heldToo: false }))).toBe('held_changes');
    expect(await memory.promote(store, proposed.version, 'ada', 3)).toMatchObject({ state: 'promoted' });
  });

  it('rolls back as a new version, to an earlier one or to empty, and refuses a version that is not there', async () => {
    const store = await defined('rolled');
    await memory.write(store, writeOf('one'), 1);
    await memory.write(store, writeOf('two', 's-2'), 2);
    const back = await memory.rollback(store, 1, 'ada', 3);
    expect(back).toMatchObject({ version: 3, parent: 2, state: 'promoted', origin: { kind: 'rollback', to: 1, by: 'ada' } });
    expect(texts(await memory.head(store))).toEqual(['one']);
    expect((await memory.rollback(store, 0, 'ada', 4)).entries).toEqual([]);
    expect(await memory.versions(store)).toHaveLength(4);
    expect(await codeOf(memory.rollback(store, 42, 'ada', 5))).toBe('unknown_version');
    const proposal = await memory.propose(store, [add('x')], consolidation, 6);
    expect(await codeOf(memory.rollback(store, proposal.version, 'ada', 7))).toBe('not_promoted');
  });

  it('refuses store names that could reach other keys, and writes to a store never defined', async () => {
    for (const name of ['a.b', '*', '>', 'A', '', 'x'.repeat(64)]) expect(await codeOf(memory.head(name))).toBe('invalid_store_name');
    expect(await codeOf(memory.write('undefined-store', writeOf('x'), 1))).toBe('unknown_store');
  });

  it('refuses what it could not read back (a name too long, a time that is no whole number) before storing it', async () => {
    const store = await defined('checked');
    const proposed = await memory.propose(store, [add('x')], consolidation, 1);
    await expect(memory.promote(store, proposed.version, 'x'.repeat(201), 2)).rejects.toThrow(DecodeError);
    await expect(memory.write(store, writeOf('y'), 1.5)).rejects.toThrow(DecodeError);
    expect(await memory.promote(store, proposed.version, 'ada', 3)).toMatchObject({ state: 'promoted' });
  });

  it('stores a version larger than a NATS message in parts', async () => {
    const store = await defined('large');
    const long = (index: number) => `${String(index).padStart(4, '0')} ${'y'.repeat(maxMemoryTextChars - 10)}`;
    const changes = Array.from({ length: 800 }, (_, index) => add(long(index)));
    const proposed = await memory.propose(store, changes, consolidation, 1);
    await memory.promote(store, proposed.version, 'ada', 2);
    expect((await memory.head(store))?.entries).toHaveLength(800);
  });

  it('says which key holds a value that is not what it should be', async () => {
    const store = await defined('edited');
    await memory.write(store, writeOf('fine'), 1);
    const kv = await new Kvm(nc).open(names.buckets.memory);
    const original = (await kv.get(`${store}.v.1`))?.value ?? new Uint8Array();
    await kv.put(`${store}.v.1`, JSON.stringify({ store, version: 1, entries: 'oops' }));
    const error = await memory.head(store).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as Error).message).toMatch(/version 1 of memory store edited \(key edited\.v\.1 of the memory bucket\)/);
    // Put right, as the other tests' deletions read every store.
    await kv.put(`${store}.v.1`, original);
    expect(await memory.head(store)).toMatchObject({ version: 1 });
  });

  it('keeps the sessions read and dream job records', async () => {
    const store = await defined('dreams');
    await memory.markRead(store, ['s-1', 's-2']);
    await memory.markRead(store, ['s-2', 's-3']);
    expect([...(await memory.readSessions(store))].sort()).toEqual(['s-1', 's-2', 's-3']);
    const run = { jobId: '01J:job.1', store, status: 'done' as const, versions: [1], sessions: 2, at: 5 };
    await memory.recordRun(store, run);
    expect(await memory.run(store, '01J:job.1')).toEqual(run);
    expect(await memory.run(store, 'other')).toBeUndefined();
  });

  it('forgets a deleted session through the memory deletion hook: its evidence and id go from every revision, entries are flagged, and it is no longer read; done twice it changes nothing', async () => {
    const store = await defined('forgetting');
    await memory.write(store, writeOf('from the deleted session', 'gone-4f2c'), 1);
    await memory.write(store, writeOf('from another', 'kept-4f2c'), 2);
    await memory.markRead(store, ['gone-4f2c', 'kept-4f2c']);
    const hook = (await builtInDeletionHooks(nc, names)).find(({ name }) => name === 'memory');
    const target = { sessionId: 'gone-4f2c', root: 'gone-4f2c', deletesWorkspace: true, events: [], deleting: new Set(['gone-4f2c']) };
    await hook?.deleteSession(target);
    const after = await memory.versions(store);
    await hook?.deleteSession(target);
    expect(await memory.versions(store)).toEqual(after);

    const [first, second] = after;
    const alias = deletedSessionAlias('gone-4f2c');
    expect(first?.entries[0]).toMatchObject({ evidence: [], flags: ['evidence-deleted'], writtenBy: { kind: 'session', sessionId: alias, event: 2 } });
    expect(first).toMatchObject({ origin: { sessionId: alias }, promoted: { by: `session:${alias}` } });
    expect(second?.entries.map(({ flags }) => flags)).toEqual([['evidence-deleted'], []]);
    expect(second?.entries[1]?.evidence).toEqual([{ sessionId: 'kept-4f2c', events: [2] }]);
    expect([...(await memory.readSessions(store))]).toEqual(['kept-4f2c']);

    const jsm = await jetstreamManager(nc);
    const mentions: string[] = [];
    for (let seq = 1; ; ) {
      const stored = await jsm.streams.getMessage(`KV_${names.buckets.memory}`, { seq, next_by_subj: '>' } as MsgRequest);
      if (!stored) break;
      if (Buffer.from(stored.data).toString('latin1').includes('gone-4f2c')) mentions.push(stored.subject);
      seq = stored.seq + 1;
    }
    expect(mentions).toEqual([]);
    expect(JSON.stringify(after)).toContain('kept-4f2c');
  });
});
