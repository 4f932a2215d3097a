import { readdirSync, readFileSync } from 'node:fs';
import { SessionEvent } from '@signalbox/events';
import { checkHistory, decide, totalsOf } from '@signalbox/session';
import { describe, expect, it } from 'vitest';

/** Runs recorded by test/fixtures/record-histories.ts: old runs the current decider must still replay. */
const directory = new URL('../fixtures/histories/', import.meta.url);
const fixtures = readdirSync(directory).filter((file) => file.endsWith('.json')).sort();

function history(file: string): SessionEvent[] {
  const raw: unknown[] = JSON.parse(readFileSync(new URL(file, directory), 'utf8'));
  // Parsed as the codec parses a stored event: an old fixture must still be a valid event.
  return raw.map((event) => SessionEvent.parse(event) as SessionEvent);
}

describe('recorded histories replay through the current decider', () => {
  it('has the representative runs', () => {
    expect(fixtures).toEqual(['approvals-v5.json', 'budget-exceeded.json', 'budget-limits-v4.json', 'compacted-v9.json', 'conversation-v9.json', 'delegated-v11.json', 'gated-v7.json', 'graded-v8.json', 'handoff-v11.json', 'judged-v7.json', 'memory-v10.json', 'model-failure-fatal.json', 'model-failure-retried.json', 'model-gated-v7.json', 'paused-resumed-v2.json', 'permission-gated-v3.json', 'redriven-v7.json', 'rewind-fork-v12.json', 'rewound-v12.json', 'structured-v12.json', 'supervised-v6.json', 'tool-failure-recovered.json', 'tools-succeed-v2.json', 'tools-succeed-v3.json', 'tools-succeed.json', 'waits-v9.json', 'workspace-revisions.json']);
  });

  it.each(fixtures)('%s replays without divergence', (file) => {
    const events = history(file);
    const check = checkHistory(events);
    expect(check).toMatchObject({ ok: true });
    // Every event the decider writes was re-decided, not skipped.
    const decided = check.ok ? check.decisions.reduce((sum, decision) => sum + decision.events, 0) : 0;
    expect(decided).toBe(events.length);
  });

  it.each(fixtures)('%s records the totals its events count to', (file) => {
    const events = history(file);
    const completed = events.at(-1);
    expect(completed?.type).toBe('session.completed');
    expect(completed?.type === 'session.completed' && completed.data.totals).toEqual(totalsOf(events.slice(0, -1)));
  });

  it.each(['tools-succeed.json', 'tools-succeed-v2.json', 'tools-succeed-v3.json'])('catches a deliberately changed decider in %s', (file) => {
    // A "new version" of the decider that asks for one more output token budget in every request.
    const changed: typeof decide = (command, state) => {
      if (state.status === 'new' || state.status === 'completed') return decide(command, state);
      return decide(command, { ...state, agent: { ...state.agent, maxTokens: state.agent.maxTokens + 1 } });
    };
    const check = checkHistory(history(file), changed);
    expect(check).toMatchObject({ ok: false, n: 6, reason: expect.stringContaining('model request is rebuilt differently') });
  });

  it('catches a decider that would not rewind: a version-6 session refuses the supervisor’s rewind its log records', () => {
    const asVersion6 = history('rewound-v12.json').map((event) => (event.type === 'session.created' ? { ...event, data: { ...event.data, deciderVersion: 6 } } : event));
    expect(checkHistory(asVersion6)).toMatchObject({ ok: false, n: 11, expected: { type: 'supervisor.intervened', data: { action: 'rewind' } }, actual: null });
  });

  it('catches a rewind’s fork that would leave the supervisor’s hint out of its first request', () => {
    const withoutHint = history('rewind-fork-v12.json').map((event) =>
      event.type === 'session.created' && event.data.forkedFrom ? { ...event, data: { ...event.data, forkedFrom: { ...event.data.forkedFrom, hint: undefined } } } : event,
    );
    expect(checkHistory(withoutHint)).toMatchObject({ ok: false, n: 7, reason: expect.stringContaining('model request is rebuilt differently') });
  });

  it('catches a decider that would build a different model request', () => {
    const events = history('tools-succeed.json');
    const tampered = events.map((event) =>
      event.type === 'model.requested' && event.n === 6 ? { ...event, data: { ...event.data, digest: '0'.repeat(64) } } : event,
    );
    expect(checkHistory(tampered)).toMatchObject({ ok: false, n: 6, reason: expect.stringContaining('model request is rebuilt differently') });
  });

  it('catches a decider that would call a tool with other input', () => {
    const events = history('tool-failure-recovered.json');
    const tampered = events.map((event) =>
      event.type === 'tool.requested' && event.n === 8 ? { ...event, data: { ...event.data, input: { path: 'elsewhere.md' } } } : event,
    );
    expect(checkHistory(tampered)).toMatchObject({ ok: false, n: 8, expected: { type: 'tool.requested' }, reason: 'tool.requested differs in input' });
  });

  it('catches a different next step after a model failure (a retry where the log failed the session)', () => {
    const events = history('model-failure-fatal.json');
    const tampered = events.map((event) => (event.type === 'model.failed' && event.n === 5 ? { ...event, data: { ...event.data, retryable: true } } : event));
    expect(checkHistory(tampered)).toMatchObject({ ok: false, n: 6, actual: { type: 'model.requested', data: { attempt: 3 } } });
  });

  it('catches a decider that would fail a version-2 session on its budget instead of pausing it', () => {
    const events = history('paused-resumed-v2.json');
    const asVersion1 = events.map((event) => (event.type === 'session.created' ? { ...event, data: { ...event.data, deciderVersion: 1 } } : event));
    expect(checkHistory(asVersion1)).toMatchObject({ ok: false, n: 9, expected: { type: 'session.paused' }, actual: { type: 'session.completed' } });
  });

  it('catches a decider that would end a conversation at its first answer instead of waiting for the next message', () => {
    const forgetsConversations: typeof decide = (command, state) => (state.status === 'new' ? decide(command, state) : decide(command, { ...state, agent: { ...state.agent, conversation: undefined } }));
    expect(checkHistory(history('conversation-v9.json'), forgetsConversations)).toMatchObject({ ok: false, n: 4, expected: { type: 'turn.completed' }, actual: { type: 'session.completed' } });
  });

  it('catches a decider that would take no signal, leaving a built-in wait to an executor', () => {
    const noBuiltIns: typeof decide = (command, state) => (state.status === 'new' ? decide(command, state) : decide(command, { ...state, deciderVersion: 8 }));
    expect(checkHistory(history('waits-v9.json'), noBuiltIns)).toMatchObject({ ok: false, n: 6, expected: { type: 'signal.received' } });
  });

  it('catches a decider that would not compact a context past its window', () => {
    const noWindow: typeof decide = (command, state) => (state.status === 'new' ? decide(command, state) : decide(command, { ...state, agent: { ...state.agent, context: undefined } }));
    // Its second request differs already: without the agent's context settings, read outputs are not trimmed.
    expect(checkHistory(history('compacted-v9.json'), noWindow)).toMatchObject({ ok: false, n: 7, expected: { type: 'model.requested' } });
  });

  it('catches a decider that would leave the loaded memory out of the request', () => {
    const forgetful: typeof decide = (command, state) => (state.status === 'new' ? decide(command, state) : decide(command, { ...state, memory: state.memory && { ...state.memory, entries: [] } }));
    // The first request is decided with the load that puts the entries in the state; the next one from a state holding them.
    expect(checkHistory(history('memory-v10.json'), forgetful)).toMatchObject({ ok: false, n: 8, expected: { type: 'model.requested' } });
  });

  it("catches a decider that would not load the agent's memory", () => {
    const noMemory: typeof decide = (command, state) => (state.status === 'new' ? decide(command, state) : decide(command, { ...state, memoryUse: null }));
    expect(checkHistory(history('memory-v10.json'), noMemory)).toMatchObject({ ok: false, n: 2, expected: { type: 'memory.loaded' } });
  });

  it("catches a decider that would not count a child's spend in its parent's", () => {
    const unshared: typeof decide = (command, state) => (state.status === 'new' || command.type !== 'RecordChildResult' ? decide(command, state) : decide({ ...command, totals: undefined }, state));
    expect(checkHistory(history('delegated-v11.json'), unshared)).toMatchObject({ ok: false, n: 10, expected: { type: 'subagent.completed' } });
  });

  it('catches a decider that would take another turn after a handoff', () => {
    const noHandoff: typeof decide = (command, state) => (state.status === 'new' ? decide(command, state) : decide(command, { ...state, handoff: null }));
    expect(checkHistory(history('handoff-v11.json'), noHandoff)).toMatchObject({ ok: false, n: 9, expected: { type: 'session.completed' } });
  });

  it("catches a decider that would accept an answer its output schema refuses", () => {
    const lax: typeof decide = (command, state) => (state.status === 'new' ? decide(command, state) : decide(command, { ...state, outputSchema: null }));
    // The first request is decided from the new session; the next, without the schema, asks for no response format.
    expect(checkHistory(history('structured-v12.json'), lax)).toMatchObject({ ok: false, n: 7, expected: { type: 'model.requested' } });
  });

  it('catches a decider that would send a delegation to an executor', () => {
    const noDelegation: typeof decide = (command, state) => (state.status === 'new' ? decide(command, state) : decide(command, { ...state, deciderVersion: 10 }));
    expect(checkHistory(history('delegated-v11.json'), noDelegation)).toMatchObject({ ok: false, n: 6, expected: { type: 'subagent.spawned' } });
  });

  it('catches a decider that would take a step while paused', () => {
    const ignoresPauses: typeof decide = (command, state) => (state.status === 'new' || state.status === 'completed' ? decide(command, state) : decide(command, { ...state, paused: null }));
    expect(checkHistory(history('paused-resumed-v2.json'), ignoresPauses)).toMatchObject({ ok: false, n: 7, expected: { type: 'session.resumed' }, actual: { type: 'budget.exceeded' } });
  });
});
