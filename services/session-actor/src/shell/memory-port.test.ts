import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { naming, type AgentDefinition } from '@signalbox/events';
import { fold, type ActiveState } from '@signalbox/session';
import { MemoryStore, provision } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveMemoryPort, type MemoryPort } from './memory-port.ts';

const names = naming('sbx');
const agent: AgentDefinition = { name: 'scribe', model: 'scripted', system: '', tools: [], budget: { maxSteps: 5 }, maxTokens: 256, subagents: [], memory: { store: 'ops', load: 3 }, script: [{ final: 'ok' }] };
const at = { id: 'x', v: 1, at: 1, causationId: null, correlationId: 's1', by: { service: 'test', instance: 't' } };

/** A session that asked for `memory.write` in event 4. */
function writing(sessionId: string, text: string): ActiveState {
  const content = [{ type: 'tool_use' as const, id: 'call_1', name: 'memory.write', input: { text } }];
  const usage = { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 };
  return fold([
    { ...at, sessionId, n: 1, type: 'session.created', data: { agent, input: 'Deploy', tools: [], budget: agent.budget, deciderVersion: 10 } },
    { ...at, sessionId, n: 2, type: 'model.requested', data: { callId: 'm1', model: 'scripted', digest: 'd', digestScheme: 'message-chain', attempt: 1 } },
    { ...at, sessionId, n: 3, type: 'model.responded', data: { callId: 'm1', model: 'scripted', content, stopReason: 'tool_use', usage, costUsd: 0, latencyMs: 1 } },
    { ...at, sessionId, n: 4, type: 'tool.requested', data: { callId: 'call_1', tool: 'memory.write', input: { text }, idempotencyKey: `${sessionId}/call_1` } },
  ]) as ActiveState;
}

const write = (sessionId: string, text: string) => ({ type: 'RunMemoryTool' as const, sessionId, agent: 'scribe', store: 'ops', callId: 'call_1', tool: 'memory.write' as const, input: { text, scope: 'team' as const, confidence: 0.7 } });

let server: NatsServer;
let nc: NatsConnection;
let memory: MemoryStore;
let port: MemoryPort;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  await provision(nc, names);
  memory = await MemoryStore.open(nc, names);
  port = liveMemoryPort(memory, Date.now);
});
afterAll(async () => {
  await nc?.close();
  await server?.dispose();
});

describe("the actor's memory port", () => {
  it('says why it loads nothing from a store nobody defined, and from a store that does not name the agent', async () => {
    expect(await port.load({ type: 'LoadMemory', sessionId: 's0', agent: 'scribe', store: 'nowhere', query: 'deploy', limit: 3 })).toEqual({ type: 'RecordMemoryLoaded', store: 'nowhere', version: 0, entries: [], problem: expect.stringMatching(/^there is no memory store "nowhere"/) });
    await memory.define({ name: 'elsewhere', agents: ['other'], promotion: 'review' });
    expect(await port.load({ type: 'LoadMemory', sessionId: 's0', agent: 'scribe', store: 'elsewhere', query: 'deploy', limit: 3 })).toMatchObject({ version: 0, entries: [], problem: expect.stringMatching(/"scribe" is not one of memory store "elsewhere"'s agents \(other\)/) });
    expect(await port.run(writing('s0', 'sneaky'), { ...write('s0', 'sneaky'), store: 'elsewhere' })).toMatchObject({ result: { outcome: { status: 'failed' } } });
    expect(await memory.head('elsewhere')).toBeUndefined();
  });

  it('writes a call done twice (a crash before its result was recorded) as one entry', async () => {
    await memory.define({ name: 'ops', agents: ['scribe'], promotion: 'review' });
    const session = writing('s1', 'The VPN must be up for staging.');
    const first = await port.run(session, write('s1', 'The VPN must be up for staging.'));
    const again = await port.run(session, write('s1', 'The VPN must be up for staging.'));
    const outcome = { status: 'completed', output: expect.stringMatching(/^remembered as m-[0-9a-f]{16} in memory store "ops" \(version 1\)$/) };
    expect([first, again]).toMatchObject([{ result: { outcome } }, { result: { outcome } }]);
    const head = await memory.head('ops');
    expect(head?.entries).toHaveLength(1);
    expect(head?.entries[0]).toMatchObject({ evidence: [{ sessionId: 's1', events: [4] }], writtenBy: { kind: 'session', sessionId: 's1', event: 4 } });
  });

  it('loads the entries most relevant to the task first, at most the limit', async () => {
    for (const [i, text] of ['Billing runs on Postgres 16.', 'The deploy bot is named Rover.', 'Staging deploys need a ticket.', 'Lunch is at noon.'].entries()) {
      await port.run(writing(`s-rank-${i}`, text), write(`s-rank-${i}`, text));
    }
    const loaded = await port.load({ type: 'LoadMemory', sessionId: 's9', agent: 'scribe', store: 'ops', query: 'How do staging deploys work?', limit: 2 });
    expect(loaded).toMatchObject({ type: 'RecordMemoryLoaded', store: 'ops', version: 5 });
    const texts = loaded.type === 'RecordMemoryLoaded' ? loaded.entries.map(({ text }) => text) : [];
    expect(texts).toHaveLength(2);
    expect(texts[0]).toBe('Staging deploys need a ticket.');
  });

  it('loads and searches the version its agent pins, not the head, and says so of a version that does not exist', async () => {
    const pinned = { type: 'LoadMemory' as const, sessionId: 's-pin', agent: 'scribe', store: 'ops', query: 'How do staging deploys work?', limit: 5 };
    const loaded = await port.load({ ...pinned, version: 1 });
    expect(loaded).toMatchObject({ type: 'RecordMemoryLoaded', store: 'ops', version: 1, entries: [{ text: 'The VPN must be up for staging.' }] });
    expect(loaded.type === 'RecordMemoryLoaded' && loaded.entries).toHaveLength(1);
    expect(await port.load({ ...pinned, version: 99 })).toEqual({ type: 'RecordMemoryLoaded', store: 'ops', version: 0, entries: [], problem: 'memory store "ops" has no version 99 (signalbox memory list ops)' });
    const session = { ...writing('s-pin', 'unused'), memoryUse: { store: 'ops', load: 5, version: 1 } };
    const search = { type: 'RunMemoryTool' as const, sessionId: 's-pin', agent: 'scribe', store: 'ops', callId: 'call_1', tool: 'memory.search' as const, input: { query: 'staging deploys', limit: 5 } };
    const found = await port.run(session, search);
    expect(found).toMatchObject({ result: { outcome: { status: 'completed', output: expect.stringContaining('The VPN must be up for staging.') } } });
    expect(JSON.stringify(found)).not.toContain('Staging deploys need a ticket.');
  });
});
