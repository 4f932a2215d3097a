import type { AgentDefinition, ModelRequest, ModelResponse, SessionEvent } from '@signalbox/events';
import { createProviderRegistry, providerConfigFromEnv, type ModelProvider } from '@signalbox/models';
import { modelResolver } from '@signalbox/session-actor';
import { defineTool, toolExecutorService } from '@signalbox/tool-executor';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completedSession, eventsUntil, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
const reply = (content: ModelResponse['content']): ModelResponse => ({ model: 'lead', content, stopReason: content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn', usage });

/** A lead that delegates what its task lists (`agent: task` per line) in one reply, then answers with what came back. */
const lead: ModelProvider = {
  name: 'lead',
  complete: async (request: ModelRequest) => {
    const results = request.messages.flatMap((message) => message.content).filter((block) => block.type === 'tool_result');
    if (results.length > 0) return reply([{ type: 'text', text: results.map((block) => (block.type === 'tool_result' ? `${block.isError ? 'ERR ' : ''}${block.content}` : '')).join(' | ') }]);
    const first = request.messages[0]?.content.find((block) => block.type === 'text');
    const handoff = /^hand off to (\S+)/.exec(first?.type === 'text' ? first.text : '');
    if (handoff) return reply([{ type: 'text', text: 'This is for a specialist.' }, { type: 'tool_use', id: 'call_h', name: 'agents.handoff', input: { agent: handoff[1], note: 'be brief' } }]);
    const lines = (first?.type === 'text' ? first.text : '').split('\n').filter((line) => line.includes(':'));
    return reply(lines.map((line, i) => ({ type: 'tool_use' as const, id: `call_${i + 1}`, name: 'agents.delegate', input: { agent: line.split(':')[0]?.trim(), task: line.split(':').slice(1).join(':').trim(), maxSteps: 3 } })));
  },
};

const slowWork = defineTool({ name: 'slow.work', description: 'Works for half a second', input: z.object({}), run: () => new Promise<string>((resolve) => setTimeout(() => resolve('worked'), 500)) });

const scripted = modelResolver(createProviderRegistry(providerConfigFromEnv({})));
let runtime: TestRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime({
    actor: { resolveModel: (agent: AgentDefinition) => (agent.model === 'scripted' ? scripted(agent) : { provider: lead, costOf: () => 0.001 }) },
    // The slow tool's executor takes 20 calls at once, as a fan-out of 20 needs.
    services: [toolExecutorService({ tools: [slowWork], concurrency: 20 })],
    agents: [
      // A lead passes its specialists only the tools it may use itself (without a policy: those it lists).
      { name: 'lead', model: 'local/lead', subagents: ['researcher', 'writer', 'ghost'], tools: ['workspace.read', 'workspace.write'], budget: { maxSteps: 100 } },
      { name: 'guarded-lead', model: 'local/lead', subagents: ['writer'], tools: ['workspace.read'], policy: 'reads-only', budget: { maxSteps: 10 } },
      { name: 'researcher', model: 'scripted', tools: ['workspace.write'], script: [{ tool: 'workspace.write', input: { path: 'notes/research.md', content: 'found it' } }, { final: 'research done' }] },
      { name: 'waiter', model: 'scripted', tools: ['wait.signal'], script: [{ tool: 'wait.signal', input: { name: 'go' } }, { final: 'went' }] },
      { name: 'fan-lead', model: 'local/lead', subagents: ['slow-specialist'], tools: ['slow.work', 'workspace.write'], budget: { maxSteps: 200 } },
      { name: 'slow-specialist', model: 'scripted', tools: ['slow.work', 'workspace.write'], script: [{ tool: 'slow.work', input: {} }, { tool: 'workspace.write', input: { path: 'parts/part.md', content: 'a part' } }, { final: 'part done' }] },
      { name: 'narrow-lead', model: 'local/lead', subagents: ['researcher'], tools: ['workspace.write'], subagentConcurrency: 2, budget: { maxSteps: 100 } },
      { name: 'patient-lead', model: 'local/lead', subagents: ['waiter'], tools: ['wait.signal'], budget: { maxSteps: 10 } },
      { name: 'writer', model: 'scripted', tools: ['workspace.write'], script: [{ tool: 'workspace.write', input: { path: 'draft.md', content: 'a draft' } }, { final: 'draft written' }] },
    ],
  });
  await runtime.client.applyPolicy({ name: 'reads-only', rules: [{ effect: 'allow', tool: 'workspace.read', delegable: true }, { effect: 'allow', tool: 'agents.delegate' }] });
});
afterAll(async () => {
  await runtime?.dispose();
});

const ofType = <T extends SessionEvent['type']>(events: readonly SessionEvent[], type: T) => events.filter((event): event is Extract<SessionEvent, { type: T }> => event.type === type);

describe('delegation to specialists', () => {
  it('runs each delegated part as a child session of the run, in parallel, and gives the lead their answers and their spend', async () => {
    await runtime.client.submit('lead', { input: 'researcher: find the numbers\nwriter: draft the report', sessionId: 'lead-1' });
    const events = await completedSession(runtime.client, 'lead-1', 20_000);
    const spawned = ofType(events, 'subagent.spawned');
    expect(spawned.map(({ data }) => data.agent)).toEqual(['researcher', 'writer']);
    expect(spawned[0]?.data).toMatchObject({ task: 'find the numbers', budget: { maxSteps: 3 } });
    expect(ofType(events, 'subagent.completed').map(({ data }) => data.status)).toEqual(['succeeded', 'succeeded']);
    expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded', output: expect.stringMatching(/research done \| draft written|draft written \| research done/) } });
    const child = await runtime.client.events(spawned[0]?.data.sessionId ?? '');
    expect(ofType(child, 'tool.completed')).toEqual([expect.objectContaining({ data: expect.objectContaining({ tool: 'workspace.write', output: expect.stringMatching(/^wrote 8 bytes to notes\/research.md/) }) })]);
    expect(child[0]).toMatchObject({ correlationId: 'lead-1', data: { parent: { sessionId: 'lead-1', callId: 'call_1' }, delegatedBy: [{ sessionId: 'lead-1', agent: { name: 'lead' } }] } });
    // The tree's spend: the lead's two steps and each child's two.
    const completed = events.at(-1);
    expect(completed?.type === 'session.completed' && completed.data.totals.steps).toBe(6);
    expect(await runtime.client.check('lead-1')).toMatchObject({ ok: true });
    expect(await runtime.client.check(spawned[0]?.data.sessionId ?? '')).toMatchObject({ ok: true });
    // The lead's view of the run's files after its children answered holds what they wrote: a replay or a fork of it sees them.
    const answered = ofType(events, 'tool.completed').at(-1)?.n ?? 0;
    expect((await runtime.client.workspaceAt('lead-1', answered)).map(({ path }) => path).sort()).toEqual(['draft.md', 'notes/research.md']);
  });

  it('answers a delegation it may not make, or whose agent cannot start, as a failed call the lead can act on', async () => {
    await runtime.client.submit('lead', { input: 'stranger: do anything\nghost: haunt', sessionId: 'lead-refused' });
    const events = await completedSession(runtime.client, 'lead-refused', 20_000);
    const failures = ofType(events, 'tool.failed').map(({ data }) => data.error);
    expect(failures).toEqual([expect.stringMatching(/"stranger" is not an agent this one may delegate to; it may delegate to: researcher, writer, ghost/), expect.stringMatching(/ghost \(session sub-[0-9a-f]+\) failed: could not start ghost: unknown agent "ghost"/)]);
    expect(events.at(-1)).toMatchObject({ data: { status: 'succeeded' } });
  });

  it("bounds a specialist's rights by what the lead may delegate: a tool the lead may not pass on is denied", async () => {
    await runtime.client.submit('guarded-lead', { input: 'writer: draft the report', sessionId: 'guarded-1' });
    const events = await completedSession(runtime.client, 'guarded-1', 20_000);
    const [spawned] = ofType(events, 'subagent.spawned');
    const child = await runtime.client.events(spawned?.data.sessionId ?? '');
    expect(ofType(child, 'permission.denied')).toEqual([expect.objectContaining({ data: expect.objectContaining({ tool: 'workspace.write', reason: expect.stringMatching(/a child session (does not inherit|inherits)/) }) })]);
  });

  it('pauses, resumes and aborts the children with their lead: the tree stops and goes on as one', async () => {
    await runtime.client.submit('patient-lead', { input: 'waiter: wait for go', sessionId: 'tree-1' });
    const spawned = await eventsUntil(runtime.client, 'tree-1', (events) => events.some((event) => event.type === 'subagent.spawned'));
    const childId = ofType(spawned, 'subagent.spawned')[0]?.data.sessionId ?? '';
    await eventsUntil(runtime.client, childId, (events) => events.at(-1)?.type === 'permission.granted');
    await runtime.client.pause('tree-1', { by: 'test', reason: 'a look' });
    await eventsUntil(runtime.client, childId, (events) => events.some((event) => event.type === 'session.paused'));
    await runtime.client.resume('tree-1', { by: 'test' });
    await eventsUntil(runtime.client, childId, (events) => events.some((event) => event.type === 'session.resumed'));
    await runtime.client.close('tree-1', { by: 'test', reason: 'enough' });
    const child = await completedSession(runtime.client, childId, 10_000);
    expect(ofType(child, 'session.paused')[0]?.data).toMatchObject({ by: 'lead:tree-1', reason: 'its lead tree-1 was paused: a look' });
    expect(child.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'aborted' } });
  });

  it("hands the conversation off: the specialist reads it, and its answer is the lead's, which takes no further turn", async () => {
    await runtime.client.submit('lead', { input: 'hand off to writer the report', sessionId: 'handoff-1' });
    const events = await completedSession(runtime.client, 'handoff-1', 20_000);
    const [spawned] = ofType(events, 'subagent.spawned');
    expect(spawned?.data).toMatchObject({ agent: 'writer', handoff: true, task: expect.stringContaining('user: hand off to writer the report') });
    expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded', output: 'draft written', handedOffTo: spawned?.data.sessionId } });
    expect(ofType(events, 'model.requested')).toHaveLength(1);
    expect(await runtime.client.check('handoff-1')).toMatchObject({ ok: true });
  });

  it('runs at most subagentConcurrency children at once, and starts the rest as they end', async () => {
    await runtime.client.submit('narrow-lead', { input: Array.from({ length: 5 }, (_, i) => `researcher: part ${i + 1}`).join('\n'), sessionId: 'narrow-1' });
    const events = await completedSession(runtime.client, 'narrow-1', 30_000);
    let running = 0;
    let most = 0;
    for (const event of events) {
      if (event.type === 'subagent.spawned') most = Math.max(most, ++running);
      if (event.type === 'subagent.completed') running--;
    }
    expect(ofType(events, 'subagent.completed')).toHaveLength(5);
    expect(most).toBe(2);
    expect(events.at(-1)).toMatchObject({ data: { status: 'succeeded' } });
    expect(await runtime.client.check('narrow-1')).toMatchObject({ ok: true });
  });

  it('runs twenty specialists whose tool takes 500 ms in under twice the time of one', async () => {
    const timed = async (parts: number, sessionId: string) => {
      const started = Date.now();
      await runtime.client.submit('fan-lead', { input: Array.from({ length: parts }, (_, i) => `slow-specialist: part ${i + 1}`).join('\n'), sessionId });
      const events = await completedSession(runtime.client, sessionId, 30_000);
      expect(ofType(events, 'subagent.completed').filter(({ data }) => data.status === 'succeeded')).toHaveLength(parts);
      return Date.now() - started;
    };
    await timed(1, 'fan-warm');
    const one = await timed(1, 'fan-1');
    const twenty = await timed(20, 'fan-20');
    expect(twenty).toBeLessThan(2 * one);
  });

  it('fans out to twenty specialists at once, and hears from every one', async () => {
    const task = Array.from({ length: 20 }, (_, i) => `researcher: part ${i + 1}`).join('\n');
    const started = Date.now();
    await runtime.client.submit('lead', { input: task, sessionId: 'lead-20' });
    const events = await completedSession(runtime.client, 'lead-20', 60_000);
    const children = ofType(events, 'subagent.completed');
    expect(children).toHaveLength(20);
    expect(children.every(({ data }) => data.status === 'succeeded')).toBe(true);
    expect(new Set(ofType(events, 'subagent.spawned').map(({ data }) => data.sessionId)).size).toBe(20);
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});
