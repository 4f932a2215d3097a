import { decode, decodeEvent, encode, encodeEvent, eventVersion, holdsProtoKey, OutcomeSettings, type AgentDefinition, type NewEvent, type PermissionVerdict, type SessionEvent, type ToolResult } from '@signalbox/events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { heldFrom, heldMessages, messageCount, snapshotFrom, withEarlierPutBack } from './conversation.ts';
import { decide, type SessionCommand } from './decide.ts';
import { snapshotState, storedSnapshotState } from './snapshot-state.ts';
import { fold, initialState, type SessionState } from './state.ts';

/**
 * Resume = snapshot + tail. For any history the decider can produce and any cut point, folding the
 * tail onto the snapshot (serialised through the wire codec) gives the state a full replay gives;
 * also when the snapshot holds only the conversation's latest messages and the earlier ones are
 * put back from where they were kept (the transcript store), as a model call after a resume does.
 */

const toolNames = ['workspace.read', 'workspace.write', 'http.get'];

const setup = fc.record({
  maxSteps: fc.integer({ min: 1, max: 8 }),
  maxCostUsd: fc.option(fc.integer({ min: 1, max: 50 }).map((cents) => cents / 100), { nil: undefined }),
  maxToolCalls: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
  maxNonIdempotentCalls: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
  system: fc.string({ maxLength: 12 }),
  input: fc.string({ maxLength: 20 }),
  /** Whether its answers are graded (an outcome, decider version 8 on). */
  graded: fc.boolean(),
});

/** One random choice per command; what it means depends on what the session waits for. */
const choice = fc.record({
  roll: fc.nat(99),
  pick: fc.nat(),
  toolCalls: fc.integer({ min: 0, max: 3 }),
  text: fc.string({ maxLength: 16 }),
  stopReason: fc.constantFrom('end_turn', 'max_tokens', 'refusal', 'stop_sequence'),
  tokens: fc.tuple(fc.nat(5_000), fc.nat(2_000)),
  costMicros: fc.nat(20_000),
  // As the model adapters pass them on: an input holding a `__proto__` key stays text (recordableToolInput).
  input: fc.jsonValue({ maxDepth: 2 }).filter((value) => !holdsProtoKey(value)),
  output: fc.string({ maxLength: 24 }),
  retryable: fc.boolean(),
});
type Choice = typeof choice extends fc.Arbitrary<infer T> ? T : never;

/** A valid history: the events the real decider appends for a random run of commands from a start. */
const history = fc.tuple(setup, fc.array(choice, { maxLength: 40 })).map(([session, choices]) => play(session, choices));

function play(session: typeof setup extends fc.Arbitrary<infer T> ? T : never, choices: Choice[]): SessionEvent[] {
  const { maxSteps, maxCostUsd, maxToolCalls, maxNonIdempotentCalls } = session;
  const limits = Object.entries({ maxCostUsd, maxToolCalls, maxNonIdempotentCalls }).filter(([, limit]) => limit !== undefined);
  const budget = { maxSteps, ...Object.fromEntries(limits) };
  const outcome = session.graded ? { outcome: OutcomeSettings.parse({ maxAttempts: 2, files: ['out.md'] }), rubric: 'The answer is right.' } : {};
  const agent: AgentDefinition = { name: 'prop', model: 'scripted', system: session.system, tools: toolNames, budget, maxTokens: 256, subagents: [], script: [], ...outcome };
  const tools = toolNames.map((name) => ({ name, description: name, inputSchema: { type: 'object' } }));
  const events: SessionEvent[] = [];
  let state = initialState();
  // `cut` keeps only a decision's first event, as when a worker dies between two appends.
  const apply = (command: SessionCommand, cut = false) => {
    const decided = decide(command, state).events;
    const appended = (cut ? decided.slice(0, 1) : decided).map((event, index) => envelope(event, events.length + index + 1));
    state = fold(appended, state);
    events.push(...appended);
  };
  apply({ type: 'StartSession', sessionId: 'p1', correlationId: 'p1', agent, tools, input: session.input, budget, nonIdempotentTools: ['http.get'] });
  for (const next of choices) {
    if (state.status === 'completed') break;
    apply(commandFor(next, state), next.pick % 7 === 0);
  }
  return events;
}

function commandFor(c: Choice, state: SessionState): SessionCommand {
  if (c.roll < 3) return { type: 'FailSession', reason: c.text };
  if (state.status !== 'new' && state.paused && c.roll < 40) {
    // Sometimes with a higher step budget, as `resume --max-steps` gives a session its budget paused.
    const budget = c.retryable ? { budget: { maxSteps: state.budget.maxSteps + 1 + (c.pick % 3) } } : {};
    return { type: 'ResumeSession', by: 'prop', ...budget };
  }
  if (c.roll >= 94) return { type: 'PauseSession', reason: c.text, by: 'prop' };
  const checked = c.roll >= 8 && (state.status === 'deciding' || c.roll >= 85) ? checksAsked(state) : [];
  if (checked.length > 0) return { type: 'RecordPermissions', verdicts: checked.map((callId, i) => ({ callId, verdict: verdictOf(c, i) })) };
  if (c.roll < 8 || state.status === 'deciding') return { type: 'Resume' };
  if (state.status === 'awaiting_model') {
    // A late reply to a call the session no longer waits for changes nothing.
    const callId = c.roll < 6 ? 'stale' : state.callId;
    if (c.roll < 30) return { type: 'RecordModelFailure', callId, code: 'overloaded', message: c.text, retryable: c.retryable };
    const calls = Array.from({ length: c.toolCalls }, (_, i) => ({
      type: 'tool_use' as const,
      id: `call_${state.n}_${i}`,
      name: toolNames[(c.pick + i) % toolNames.length] ?? 'workspace.read',
      input: c.input,
    }));
    const [inputTokens, outputTokens] = c.tokens;
    const response = {
      model: 'scripted',
      content: [{ type: 'text' as const, text: c.text }, ...calls],
      stopReason: calls.length > 0 ? ('tool_use' as const) : c.stopReason,
      usage: { inputTokens, outputTokens, cacheReadTokens: 0, cacheWriteTokens: 0 },
    };
    return { type: 'RecordModelReply', callId, response, costUsd: c.costMicros / 1e6, latencyMs: c.pick % 1000 };
  }
  if (state.status === 'awaiting_tools') {
    const held = state.pending.find((pending) => pending.approval !== undefined && pending.approval.approvedBy === undefined);
    if (held?.approval && c.roll < 50) {
      const scope = c.pick % 2 === 0 ? { scope: 'session' as const } : {};
      return { type: 'RecordApproval', approvalId: held.approval.approvalId, approved: c.retryable, by: c.roll < 20 ? 'timeout' : 'prop', ...scope };
    }
    const call = state.pending[c.pick % state.pending.length];
    const revision = c.pick % 2 === 0 ? { workspaceRevision: 1 + (c.pick % 9) } : {};
    const outcomes: ToolResult['outcome'][] = [
      { status: 'completed', output: c.output, ...revision },
      { status: 'failed', error: c.output },
      { status: 'unknown', reason: c.output },
    ];
    const outcome = outcomes[c.roll % 3] ?? { status: 'completed', output: c.output };
    const callId = c.roll < 6 || !call ? 'stale' : call.callId;
    return { type: 'RecordToolResult', result: { type: 'tool.result', sessionId: 'p1', callId, tool: call?.tool ?? 'workspace.read', outcome, durationMs: c.pick % 500 } };
  }
  if (state.status === 'awaiting_grade') return gradeFor(c, state.attempt);
  return { type: 'Resume' };
}

/** A grade of the attempt waited on (now and then of another, or with a problem), with its cost. */
function gradeFor(c: Choice, waitedOn: number): SessionCommand {
  const [inputTokens, outputTokens] = c.tokens;
  const passed = c.roll % 3 === 0;
  const problem = c.roll % 10 === 1 ? { problem: c.text } : {};
  return {
    type: 'RecordGrade',
    attempt: c.roll < 12 ? waitedOn + 1 : waitedOn,
    passed,
    score: passed ? 1 : 0,
    verdicts: [{ criterion: 'c1', passed, reason: c.output }],
    graders: [],
    changes: c.retryable ? [c.text] : [],
    usage: { inputTokens, outputTokens, cacheReadTokens: 0, cacheWriteTokens: 0 },
    costUsd: c.costMicros / 1e6,
    ...problem,
  };
}

/** The calls a verdict may come for: those a resume would have the broker check, or the waiting ones (a grant ran out before a re-dispatch). */
function checksAsked(state: SessionState): string[] {
  if (state.status === 'awaiting_tools') return state.pending.map((call) => call.callId);
  return decide({ type: 'Resume' }, state).effects.flatMap((effect) => (effect.type === 'CheckPermissions' ? effect.checks.map((check) => check.callId) : []));
}

function verdictOf(c: Choice, i: number): PermissionVerdict {
  const effect = (['allow', 'deny', 'ask'] as const)[(c.pick + i) % 3] ?? 'allow';
  return { effect, reason: c.text, policy: 'prop', policyVersion: 1 + (c.pick % 4), rule: { index: i } };
}

function envelope(event: NewEvent, n: number): SessionEvent {
  return { ...event, id: `e${n}`, v: eventVersion(event.type), sessionId: 'p1', n, at: 1_700_000_000_000 + n, causationId: null, correlationId: 'p1', by: { service: 'test', instance: 't' } };
}

/** A snapshot as it is stored: the writer's in-memory state in its stored form, through the wire codec and back. */
function throughSnapshot(state: SessionState): SessionState {
  return snapshotState(decode(z.unknown(), encode(storedSnapshotState(state)), 'snapshot'));
}

describe('session snapshots', () => {
  it('resume from any snapshot plus its tail equals a full replay', () => {
    fc.assert(
      fc.property(history, fc.nat(), (events, cut) => {
        // A replay folds what the log hands back, decoded; the writer snapshots what it folded in memory.
        // (The codec writes -0 as 0, so it is the decoded log, not the writer's memory, that both must match.)
        const wire = events.map((event) => decodeEvent(encodeEvent(event)));
        const k = cut % (events.length + 1);
        expect(fold(wire.slice(k), throughSnapshot(fold(events.slice(0, k))))).toStrictEqual(fold(wire));
      }),
      { numRuns: 300 },
    );
  });

  it('resume from a snapshot holding only the latest messages equals a full replay once the earlier ones are put back', () => {
    fc.assert(
      fc.property(history, fc.nat(), fc.integer({ min: 1, max: 4 }), (events, cut, chunkSize) => {
        const wire = events.map((event) => decodeEvent(encodeEvent(event)));
        const whole = fold(wire);
        if (whole.status === 'new') return;
        const k = 1 + (cut % events.length);
        const written = fold(events.slice(0, k));
        if (written.status === 'new') return;
        const snapshot = { ...written, conversation: heldFrom(written.conversation, snapshotFrom(written.conversation, chunkSize)) };
        expect(messageCount(snapshot.conversation) - snapshot.conversation.earlier).toBeLessThanOrEqual(chunkSize);
        const resumed = fold(wire.slice(k), throughSnapshot(snapshot));
        if (resumed.status === 'new') throw new Error('a resumed session is never new');
        const { earlier } = resumed.conversation;
        // The request digest needs no earlier message; the request itself gets them from the transcript store.
        expect(resumed.conversation.digest).toBe(whole.conversation.digest);
        const putBack = withEarlierPutBack(resumed.conversation, heldMessages(whole.conversation, 0, earlier));
        expect({ ...resumed, conversation: putBack }).toStrictEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('generates histories that reach every status', () => {
    // Guards the generator: a property over trivial histories would prove little.
    const statuses = new Set<string>();
    const types = new Set<string>();
    fc.assert(
      fc.property(history, (events) => {
        for (let k = 1; k <= events.length; k++) statuses.add(fold(events.slice(0, k)).status);
        for (const event of events) types.add(event.type);
      }),
      { numRuns: 200 },
    );
    expect([...statuses].sort()).toEqual(['awaiting_grade', 'awaiting_model', 'awaiting_tools', 'completed', 'deciding']);
    expect([...types].sort()).toEqual([
      'approval.requested',
      'approval.resolved',
      'budget.exceeded',
      'model.failed',
      'model.requested',
      'model.responded',
      'outcome.graded',
      'outcome.submitted',
      'permission.denied',
      'permission.granted',
      'session.completed',
      'session.created',
      'session.paused',
      'session.resumed',
      'tool.completed',
      'tool.failed',
      'tool.outcome_unknown',
      'tool.requested',
    ]);
  });
});
