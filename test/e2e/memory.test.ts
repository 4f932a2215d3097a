import type { ModelRequest, ModelResponse, SessionEvent } from '@signalbox/events';
import { memoryConsolidatorService } from '@signalbox/memory-consolidator';
import { createProviderRegistry, providerConfigFromEnv, type ModelProvider } from '@signalbox/models';
import { modelResolver } from '@signalbox/session-actor';
import { MemoryStore } from '@signalbox/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/** The requests the recording model was sent, by session (its task input names it). */
const requests: ModelRequest[] = [];
const recorder: ModelProvider = {
  name: 'recorder',
  complete: async (request) => {
    requests.push(request);
    return { model: 'recorder', content: [{ type: 'text', text: 'Deployed.' }], stopReason: 'end_turn', usage: { inputTokens: 10, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 } };
  },
};

const lesson = 'Staging deploys need the VPN up first.';

const reply = (text: string): ModelResponse => ({ model: 'dreamer', content: [{ type: 'text', text }], stopReason: 'end_turn', usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 } });
/** A consolidation model that learns each transcript's "LEARNED:" line, citing the event it is on. */
const dreamer: ModelProvider = {
  name: 'dreamer',
  complete: async (request) => {
    const read = request.messages.flatMap((message) => message.content).map((block) => (block.type === 'text' ? block.text : '')).join('\n');
    const add = [...read.matchAll(/<transcript session="([^"]+)"[^>]*>([\s\S]*?)<\/transcript>/g)].flatMap(([, sessionId, transcript]) =>
      [...(transcript ?? '').matchAll(/^\[e(\d+)\] session succeeded: LEARNED: (.+)$/gm)].map(([, event, text]) => ({ text, confidence: 0.9, evidence: [{ sessionId, events: [Number(event)] }] })),
    );
    return reply(JSON.stringify({ add }));
  },
};
const scripted = modelResolver(createProviderRegistry(providerConfigFromEnv({})));
let runtime: TestRuntime;
let memory: MemoryStore;

beforeAll(async () => {
  runtime = await startTestRuntime({
    actor: { resolveModel: (agent) => (agent.model === 'scripted' ? scripted(agent) : { provider: recorder, costOf: () => 0 }) },
    services: [memoryConsolidatorService({ models: () => ({ name: 'dreamer', costOf: () => 0, provider: dreamer }) })],
    agents: [
      {
        name: 'scribe',
        model: 'scripted',
        memory: { store: 'ops' },
        script: [{ tool: 'memory.write', input: { text: lesson } }, { tool: 'memory.search', input: { query: 'staging VPN' } }, { final: 'Noted.' }],
      },
      { name: 'deployer', model: 'openai/recorder', system: 'You deploy services.', memory: { store: 'ops', load: 5 } },
      { name: 'outsider', model: 'scripted', memory: { store: 'ops' }, script: [{ tool: 'memory.write', input: { text: 'I was here.' } }, { final: 'Done.' }] },
      { name: 'teacher', model: 'scripted', script: [{ final: 'LEARNED: Invoices go out on the first of the month.' }] },
      { name: 'student', model: 'openai/recorder', system: 'You answer billing questions.', memory: { store: 'lessons' } },
      { name: 'rambler', model: 'scripted', memory: { store: 'ops' }, script: [{ tool: 'memory.write', input: { text: 'x'.repeat(5_000) } }, { final: 'Done.' }] },
      { name: 'pinned', model: 'openai/recorder', system: 'You deploy services.', memory: { store: 'releases', load: 5, version: 1 } },
      { name: 'unpinnable', model: 'openai/recorder', system: 'You deploy services.', memory: { store: 'releases', load: 5, version: 7 } },
    ],
  });
  memory = await MemoryStore.open(runtime.nc, runtime.host.names);
  await memory.define({ name: 'ops', agents: ['scribe', 'deployer', 'rambler'], promotion: 'review' });
});
afterAll(async () => {
  await runtime?.dispose();
});

const resultOf = (events: readonly SessionEvent[], tool: string) => events.find((event) => (event.type === 'tool.completed' || event.type === 'tool.failed') && event.data.tool === tool);
const loadedOf = (events: readonly SessionEvent[]) => events.find((event) => event.type === 'memory.loaded');

describe('memory in a run', () => {
  it('writes what a session learns to its store, with the session and the requesting event as evidence, and finds it again', async () => {
    await runtime.client.submit('scribe', { input: 'Deploy billing to staging', sessionId: 'scribe-1' });
    const events = await runtime.completedSession('scribe-1');
    const requested = events.find((event) => event.type === 'tool.requested' && event.data.tool === 'memory.write');
    expect(resultOf(events, 'memory.write')).toMatchObject({ type: 'tool.completed', data: { output: expect.stringMatching(/^remembered as m-[0-9a-f]{16} in memory store "ops" \(version 1\)$/) } });
    expect(resultOf(events, 'memory.search')).toMatchObject({ type: 'tool.completed', data: { output: expect.stringContaining(lesson) } });
    const head = await memory.head('ops');
    expect(head).toMatchObject({ version: 1, state: 'promoted', origin: { kind: 'write', sessionId: 'scribe-1', event: requested?.n } });
    expect(head?.entries).toEqual([expect.objectContaining({ text: lesson, scope: 'team', evidence: [{ sessionId: 'scribe-1', events: [requested?.n] }], writtenBy: { kind: 'session', sessionId: 'scribe-1', event: requested?.n }, addedIn: 1 })]);
    expect(await runtime.client.check('scribe-1')).toMatchObject({ ok: true });
  });

  it('loads the relevant entries into a new session, records which and from which version, and its model request carries them', async () => {
    await runtime.client.submit('deployer', { input: 'Deploy payments to staging', sessionId: 'deployer-1' });
    const events = await runtime.completedSession('deployer-1');
    const [entry] = (await memory.head('ops'))?.entries ?? [];
    expect(loadedOf(events)).toMatchObject({ n: 2, data: { store: 'ops', version: 1, entries: [{ key: entry?.id, text: lesson }] } });
    const request = requests.at(-1);
    expect(request?.system).toMatch(/^You deploy services\.\n\nMemory: /);
    expect(request?.system).toContain(`[${entry?.id}] ${lesson}`);
    expect(request?.tools.map(({ name }) => name)).toEqual(['memory.search', 'memory.write']);
  });

  it('gives a task that says memory: false no memory at all: nothing loaded, no memory tools', async () => {
    await runtime.client.submit('deployer', { input: 'Deploy payments, privately', sessionId: 'deployer-private', memory: false });
    const events = await runtime.completedSession('deployer-private');
    expect(loadedOf(events)).toBeUndefined();
    expect(events[0]).toMatchObject({ data: { memory: false, tools: [] } });
    expect(requests.at(-1)?.system).toBe('You deploy services.');
  });

  it("refuses an agent its store does not name, in the log and to the model, so no definition reaches another team's memory", async () => {
    await runtime.client.submit('outsider', { input: 'Have a look', sessionId: 'outsider-1' });
    const events = await runtime.completedSession('outsider-1');
    expect(loadedOf(events)).toMatchObject({ data: { version: 0, entries: [], problem: expect.stringMatching(/"outsider" is not one of memory store "ops"'s agents/) } });
    expect(resultOf(events, 'memory.write')).toMatchObject({ type: 'tool.failed' });
    expect((await memory.head('ops'))?.entries.map(({ text }) => text)).not.toContain('I was here.');
  });

  it('refuses a write too long to keep, and the model hears why', async () => {
    await runtime.client.submit('rambler', { input: 'Write it all down', sessionId: 'rambler-1' });
    const events = await runtime.completedSession('rambler-1');
    expect(resultOf(events, 'memory.write')).toMatchObject({ type: 'tool.failed', data: { error: expect.stringMatching(/^invalid input for memory.write: /) } });
  });

  it('rolls back: a new version with the earlier entries, and the next session loads those', async () => {
    const rolledBack = await memory.rollback('ops', 0, 'test:ann', Date.now());
    expect(rolledBack).toMatchObject({ state: 'promoted', origin: { kind: 'rollback', to: 0, by: 'test:ann' }, entries: [] });
    await runtime.client.submit('deployer', { input: 'Deploy payments again', sessionId: 'deployer-2' });
    const events = await runtime.completedSession('deployer-2');
    expect(loadedOf(events)).toMatchObject({ data: { version: rolledBack.version, entries: [] } });
  });
});

describe('memory consolidated from finished sessions', () => {
  it('turns what finished sessions learned into entries with their evidence, which the next session loads and its request carries', async () => {
    await memory.define({ name: 'lessons', agents: ['teacher', 'student'], promotion: 'auto', consolidation: { model: 'local/dreamer', sessions: 100, reads: {}, requireLocalProvider: false } });
    for (const n of [1, 2, 3]) {
      await runtime.client.submit('teacher', { input: `Bill customer ${n}`, sessionId: `teacher-${n}` });
      await runtime.completedSession(`teacher-${n}`);
    }
    await runtime.client.submit('teacher', { input: 'Bill customer 4, privately', sessionId: 'teacher-private', memory: false });
    await runtime.completedSession('teacher-private');
    const { jobId } = await runtime.client.dream('lessons', { by: 'test' });
    expect(await runtime.client.dreamRun('lessons', jobId, { timeoutMs: 15_000 })).toMatchObject({ status: 'done', sessions: 3 });
    const head = await memory.head('lessons');
    expect(head).toMatchObject({ state: 'promoted', promoted: { by: 'consolidator:auto' }, origin: { kind: 'consolidation', jobId, sessions: expect.arrayContaining(['teacher-1', 'teacher-2', 'teacher-3']) } });
    expect(head?.origin.kind === 'consolidation' && head.origin.sessions).not.toContain('teacher-private');
    expect(head?.entries.map(({ evidence }) => evidence[0]?.sessionId).sort()).toEqual(['teacher-1', 'teacher-2', 'teacher-3']);

    await runtime.client.submit('student', { input: 'When do invoices go out?', sessionId: 'student-1' });
    const events = await runtime.completedSession('student-1');
    expect(loadedOf(events)).toMatchObject({ data: { store: 'lessons', version: head?.version } });
    expect(requests.at(-1)?.system).toContain('Invoices go out on the first of the month.');
  });
});

describe('a memory version pinned by an agent', () => {
  it('loads the version its agent pins rather than the head, and says so of a version the store does not have', async () => {
    await memory.define({ name: 'releases', agents: ['pinned', 'unpinnable'], promotion: 'review' });
    const author = (event: number) => ({ kind: 'session' as const, sessionId: 'release-notes', event });
    const draft = (text: string, event: number) => ({ text, confidence: 0.9, scope: 'team' as const, evidence: [{ sessionId: 'release-notes', events: [event] }] });
    await memory.write('releases', { id: 'm-00000000000000a1', draft: draft('Release trains leave on Tuesdays.', 1), author: author(1) }, Date.now());
    await memory.write('releases', { id: 'm-00000000000000a2', draft: draft('Release trains leave on Thursdays now.', 2), author: author(2) }, Date.now());
    expect((await memory.head('releases'))?.version).toBe(2);

    await runtime.client.submit('pinned', { input: 'When does the release train leave?', sessionId: 'pinned-1' });
    expect(loadedOf(await runtime.completedSession('pinned-1'))).toMatchObject({ data: { store: 'releases', version: 1, entries: [{ text: 'Release trains leave on Tuesdays.' }] } });
    expect(requests.at(-1)?.system).toContain('Release trains leave on Tuesdays.');
    expect(requests.at(-1)?.system).not.toContain('Thursdays');

    await runtime.client.submit('unpinnable', { input: 'When does the release train leave?', sessionId: 'unpinnable-1' });
    expect(loadedOf(await runtime.completedSession('unpinnable-1'))).toMatchObject({ data: { store: 'releases', version: 0, entries: [], problem: 'memory store "releases" has no version 7 (signalbox memory list releases)' } });
    expect(requests.at(-1)?.system).toBe('You deploy services.');
  });
});
