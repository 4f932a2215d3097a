import { connect } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { SessionIndexEntry, type AgentDefinition, type SessionEvent } from '@signalbox/events';
import { fold, type ActiveState } from '@signalbox/session';
import { countingCalls, startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionIndexRows } from './session-index.ts';

const agent: AgentDefinition = { name: 'indexed', model: 'scripted', system: '', tools: [], budget: { maxSteps: 5 }, maxTokens: 256, subagents: [], script: [{ final: 'ok' }] };
const meta = { id: 'x', v: 1, at: 1, causationId: null, by: { service: 'test', instance: 't' } };

/** The session after its first `upTo` events: created, then a model call asked for and answered with a final text. */
function stateAt(sessionId: string, upTo: number): ActiveState {
  const usage = { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 };
  const events = [
    { ...meta, correlationId: sessionId, sessionId, n: 1, type: 'session.created', data: { agent, input: 'Go', tools: [], budget: agent.budget, deciderVersion: 2 } },
    { ...meta, correlationId: sessionId, sessionId, n: 2, type: 'model.requested', data: { callId: 'm1', model: 'scripted', digest: 'd', digestScheme: 'message-chain', attempt: 1 } },
    { ...meta, correlationId: sessionId, sessionId, n: 3, type: 'model.responded', data: { callId: 'm1', model: 'scripted', content: [{ type: 'text', text: 'ok' }], stopReason: 'end_turn', usage, costUsd: 0, latencyMs: 1 } },
  ] as SessionEvent[];
  return fold(events.slice(0, upTo)) as ActiveState;
}

let server: NatsServer;
let nc: NatsConnection;
let index: KV;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  index = await new Kvm(nc).create('session-index-test', { history: 1 });
});
afterAll(async () => {
  await nc?.close();
  await server?.dispose();
});

async function row(sessionId: string): Promise<SessionIndexEntry> {
  return SessionIndexEntry.parse((await index.get(sessionId))?.json());
}

describe('SessionIndexRows', () => {
  it("creates a new session's row and moves it on without reading it", async () => {
    const counted = countingCalls(index, 'get');
    const rows = new SessionIndexRows(counted.proxy);
    await rows.record(stateAt('fresh', 1), 100);
    await rows.record(stateAt('fresh', 3), 200);
    expect(counted.calls()).toBe(0);
    expect(await row('fresh')).toMatchObject({ lastN: 3, createdAt: 100, updatedAt: 200 });
  });

  it('reads the row when another actor wrote it since, and never moves it back', async () => {
    const [first, second] = [new SessionIndexRows(index), new SessionIndexRows(index)];
    await first.record(stateAt('shared', 1), 100);
    await second.record(stateAt('shared', 3), 300);
    // The first actor's view is older than the row now: its write loses, reads, and leaves the row.
    await first.record(stateAt('shared', 2), 200);
    expect(await row('shared')).toMatchObject({ lastN: 3, createdAt: 100, updatedAt: 300 });
  });

  it("picks up a row another actor created, keeping when the session was created", async () => {
    const [first, second] = [new SessionIndexRows(index), new SessionIndexRows(index)];
    await first.record(stateAt('moved', 2), 100);
    await second.record(stateAt('moved', 3), 300);
    expect(await row('moved')).toMatchObject({ lastN: 3, createdAt: 100, updatedAt: 300 });
  });

  it('writes the row again after it was removed (a deletion) under a remembered revision', async () => {
    const rows = new SessionIndexRows(index);
    await rows.record(stateAt('removed', 1), 100);
    await index.purge('removed');
    await rows.record(stateAt('removed', 3), 300);
    expect(await row('removed')).toMatchObject({ lastN: 3, updatedAt: 300 });
  });
});
