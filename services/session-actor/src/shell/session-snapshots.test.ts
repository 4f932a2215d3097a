import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { naming, type AgentDefinition } from '@signalbox/events';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { createLogger, RuntimeConfig, startHost, type Host } from '@signalbox/runtime';
import { fold, heldMessages, messageCount, type SessionCommand, type SessionState } from '@signalbox/session';
import { MissingTranscriptError, provision, transcriptChunkSize, type SnapshotStore } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runnerFixture } from './runner-fixture.ts';
import { SessionSnapshots, type SessionSnapshotsDeps } from './session-snapshots.ts';

const names = naming('sbx');
/** Enough for the conversation to outgrow two transcript chunks (two messages and five events a step). */
const steps = 80;
const agent: AgentDefinition = {
  name: 'reader',
  model: 'scripted',
  system: 'Read everything.',
  tools: ['workspace.read'],
  budget: { maxSteps: steps + 1 },
  maxTokens: 256,
  subagents: [],
  script: [...Array.from({ length: steps }, (_, i) => ({ tool: 'workspace.read', input: { path: `f${i}.md` } })), { final: 'all read' }],
};
const tools = [{ name: 'workspace.read', description: 'Read a file', inputSchema: { type: 'object' } }];

let server: NatsServer;
let broker: Host;
const connections: NatsConnection[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  connections.push(nc);
  await provision(nc, names);
  // Sessions are gated (decider version 3): each tool call waits for a broker's verdict.
  broker = await startHost([permissionBrokerService()], RuntimeConfig.parse({ natsUrl: server.url, logLevel: 'silent', instance: 'broker' }));
});
afterAll(async () => {
  await broker?.stop();
  await Promise.all(connections.map((nc) => nc.close()));
  await server.dispose();
});

/** A session actor of its own: own connection, own store, empty cache, as another process would have. */
async function actor(instance: string) {
  const nc = await connect({ servers: server.url });
  connections.push(nc);
  return runnerFixture(nc, names, instance, { snapshotEvery: 20 });
}

const options = { causationId: 'test' };

/**
 * A state with its conversation reduced to what identifies it (the digest chain covers every
 * message), since a resumed session holds only its latest messages until a model call needs the rest.
 */
function identity(state: SessionState) {
  if (state.status === 'new') return state;
  const { conversation, ...rest } = state;
  return { ...rest, conversation: { digest: conversation.digest, count: messageCount(conversation) } };
}

/** The tool call the session waits for. */
const waitingFor = (state: SessionState) => (state.status === 'awaiting_tools' ? state.pending[0]?.callId : undefined);

/** The result of the tool call the session waits for, or of a call it never made; `padding` characters longer when given. */
function toolResult(sessionId: string, state: SessionState, callId?: string, padding = 0): SessionCommand {
  const id = callId ?? waitingFor(state) ?? 'none';
  const output = `contents of ${id}${'.'.repeat(padding)}`;
  return { type: 'RecordToolResult', result: { type: 'tool.result', sessionId, callId: id, tool: 'workspace.read', outcome: { status: 'completed', output }, durationMs: 1 } };
}

/** Starts session `id` on `on` and feeds it tool results until it has at least `n` events (two transcript chunks at 380). */
async function runPast(on: Awaited<ReturnType<typeof actor>>, id: string, n: number, padding = 0, reader = agent): Promise<SessionState> {
  const start: SessionCommand = { type: 'StartSession', sessionId: id, correlationId: id, agent: reader, tools, input: 'read all', budget: reader.budget };
  let { state } = await on.runner.execute(id, start, options);
  while (state.n < n) ({ state } = await on.runner.execute(id, toolResult(id, state, undefined, padding), options));
  await on.runner.settled();
  return state;
}

describe('resuming a session from its snapshot', () => {
  it('continues where another actor left off, from snapshot plus tail, as a full replay would', async () => {
    const id = 'resumed';
    const first = await actor('a');
    let state = await runPast(first, id, 380);
    const firstHead = await first.store.head(id);

    const snapshot = await first.snapshots.read(id);
    expect(snapshot?.n).toBeGreaterThan(state.n - 20);
    expect(snapshot?.n).toBeLessThanOrEqual(state.n);
    // The snapshot holds the conversation's latest messages; the two chunks before them are in the transcript store.
    const held = snapshot?.state.status === 'new' ? undefined : snapshot?.state.conversation;
    expect(held?.earlier).toBe(2 * transcriptChunkSize);
    expect(held && messageCount(held) - held.earlier).toBeLessThanOrEqual(transcriptChunkSize);

    // A second actor with an empty cache: reads the snapshot and the few events after it, not the log.
    // The stray result records nothing: the call the session waits for is dispatched again with its recorded verdict.
    const second = await actor('b');
    const load = vi.spyOn(second.store, 'load');
    const resumed = (await second.runner.execute(id, toolResult(id, state, 'never-requested'), options)).state;
    expect(load).toHaveBeenCalledExactlyOnceWith(id, { fromN: (snapshot?.n ?? 0) + 1, fromSeq: (snapshot?.seq ?? 0) + 1 });
    const tail = await load.mock.results[0]?.value;
    expect(tail.events.length).toBe(state.n - (snapshot?.n ?? 0));
    expect(identity(resumed)).toStrictEqual(identity(fold(await second.store.read(id))));

    // It carries the session on (the scripted model picks its turn from the whole conversation, so the
    // earlier messages must come back from the transcript store), which leaves the first actor's cached state stale.
    ({ state } = await second.runner.execute(id, toolResult(id, resumed), options));
    expect(state.status !== 'new' && state.conversation.earlier).toBe(0);
    // A redelivered result reaches the first actor: its cached state is stale, so it reads only the events
    // after its cached head, and sees the result is already recorded.
    const firstLoad = vi.spyOn(first.store, 'load');
    const redelivered = await first.runner.execute(id, toolResult(id, resumed), options);
    expect(redelivered.appended).toBe(0);
    expect(identity(redelivered.state)).toEqual(identity(state));
    expect(firstLoad).toHaveBeenCalledExactlyOnceWith(id, { fromN: firstHead.n + 1, fromSeq: firstHead.seq + 1 });

    while (state.status !== 'completed') ({ state } = await second.runner.execute(id, toolResult(id, state), options));

    const events = await second.store.read(id);
    expect(events.map((event) => event.n)).toEqual(events.map((_, index) => index + 1));
    // Five events a tool step (its verdict among them), three for the last.
    expect(events).toHaveLength(1 + steps * 5 + 3);
    expect(state).toEqual(fold(events));
    expect(state).toMatchObject({ status: 'completed', outcome: { status: 'succeeded', output: 'all read' }, totals: { steps: steps + 1, toolCalls: steps } });
    await Promise.all([first.runner.settled(), second.runner.settled()]);

    // A completed session is never resumed: its snapshot and transcript go, the log keeps it all.
    expect(await second.snapshots.read(id)).toBeUndefined();
    await expect(second.transcripts.load(id, transcriptChunkSize)).rejects.toThrow(MissingTranscriptError);
  });

  it('resumes from snapshot and transcript when their messages are more than one NATS message can carry', async () => {
    const id = 'large';
    // 40,000 characters a tool result: a chunk of 64 messages holds about 1.3 MB, and so may a snapshot.
    const state = await runPast(await actor('g'), id, 380, 40_000);
    const second = await actor('h');
    const snapshot = await second.snapshots.read(id);
    expect(snapshot?.state.status !== 'new' && snapshot?.state.conversation.earlier).toBe(2 * transcriptChunkSize);
    expect((await second.transcripts.load(id, 2 * transcriptChunkSize)).length).toBe(2 * transcriptChunkSize);

    const load = vi.spyOn(second.store, 'load');
    const next = (await second.runner.execute(id, toolResult(id, state, undefined, 40_000), options)).state;
    expect(load).toHaveBeenCalledExactlyOnceWith(id, { fromN: (snapshot?.n ?? 0) + 1, fromSeq: (snapshot?.seq ?? 0) + 1 });
    expect(identity(next)).toStrictEqual(identity(fold(await second.store.read(id))));
    expect(next.status !== 'new' && next.conversation.earlier).toBe(0);
  });

  it('puts the earlier messages back as recorded, not as the model was sent them with long outputs cut short', async () => {
    const id = 'trimmed';
    // A context setting makes requests cut the outputs the model has read (over 8,000 characters); this window never compacts.
    const state = await runPast(await actor('i'), id, 380, 9_000, { ...agent, context: { windowTokens: 10_000_000, compactAt: 0.95, keepMessages: 6 } });
    const second = await actor('j');
    const next = (await second.runner.execute(id, toolResult(id, state, undefined, 9_000), options)).state;
    expect(next.status !== 'new' && next.conversation.earlier).toBe(0);
    // The cached state the model call left holds every message whole, as a full replay of the log does.
    const replayed = fold(await second.store.read(id));
    expect(next.status !== 'new' && heldMessages(next.conversation)).toStrictEqual(replayed.status !== 'new' && heldMessages(replayed.conversation));
    expect(next).toStrictEqual(replayed);
  });

  it('rebuilds the conversation from the log when a transcript chunk is gone, and carries on', async () => {
    const id = 'chunk-lost';
    const first = await actor('e');
    let state = await runPast(first, id, 380);
    await (await new Kvm(connections[0]!).open(names.buckets.transcripts)).purge(`${id}.0`);

    // A cold actor resumes from the snapshot; its next model call cannot read the first chunk back.
    const second = await actor('f');
    while (state.status !== 'completed') ({ state } = await second.runner.execute(id, toolResult(id, state), options));
    const events = await second.store.read(id);
    expect(events).toHaveLength(1 + steps * 5 + 3);
    expect(state).toMatchObject({ status: 'completed', outcome: { status: 'succeeded', output: 'all read' } });
    await Promise.all([first.runner.settled(), second.runner.settled()]);
  });

  it('replays in full when the snapshot cannot be read or the log does not hold the event it ends at', async () => {
    const id = 'unconfirmed';
    const first = await actor('c');
    const start: SessionCommand = { type: 'StartSession', sessionId: id, correlationId: id, agent, tools, input: 'read a little', budget: agent.budget };
    let { state } = await first.runner.execute(id, start, options);
    while (state.n < 10) ({ state } = await first.runner.execute(id, toolResult(id, state), options));
    const events = await first.store.read(id);
    const heads = await first.store.head(id);

    const coldLoad = async () => {
      const cold = await actor('d');
      const load = vi.spyOn(cold.store, 'load');
      const loaded = (await cold.runner.execute(id, toolResult(id, state, 'never-requested'), options)).state;
      expect(loaded).toStrictEqual(fold(events));
      return load.mock.calls;
    };
    const bucket = await new Kvm(connections[0]!).open(names.buckets.snapshots);

    // A snapshot at the head: nothing after it to read, and the head is still the log's.
    await first.snapshots.write(id, { n: heads.n, seq: heads.seq, state: fold(events) });
    expect(await coldLoad()).toEqual([[id, { fromN: heads.n + 1, fromSeq: heads.seq + 1 }]]);
    // One whose sequence holds another event (the stream was replaced since, say): never trusted.
    await first.snapshots.write(id, { n: 5, seq: heads.seq - 1, state: fold(events.slice(0, 5)) });
    expect(await coldLoad()).toEqual([[id]]);
    // One past the end of the log.
    await first.snapshots.write(id, { n: heads.n + 5, seq: heads.seq + 5, state: { ...fold(events), n: heads.n + 5 } as SessionState });
    expect(await coldLoad()).toEqual([[id]]);
    // Bytes that are not a snapshot.
    await bucket.put(id, new Uint8Array([0xc1]));
    expect(await coldLoad()).toEqual([[id]]);
  });
});

describe('a new session', () => {
  it('tells the snapshot store, with its first events, that it has no snapshot to read before the first write', () => {
    const told: string[] = [];
    const snapshots = { knownAbsent: (sessionId: string) => told.push(sessionId) } as unknown as SnapshotStore<SessionState>;
    const logger = createLogger({ service: 'session-actor', instance: 'test', level: 'silent' });
    const deps = { snapshots, logger, every: 20 } as unknown as SessionSnapshotsDeps;
    const working = (n: number) => ({ state: { status: 'deciding', n } as SessionState, head: { n, seq: n } });
    const sessionSnapshots = new SessionSnapshots(deps);
    sessionSnapshots.appended('fresh', 0, working(2));
    sessionSnapshots.appended('fresh', 2, working(4));
    sessionSnapshots.appended('loaded', 30, working(32));
    expect(told).toEqual(['fresh']);
  });
});
