import { assertNever, canonicalJson, toolResultOf, type GateVerdict, type NewEvent, type SessionEvent } from '@signalbox/events';
import { decide, type Decision, type SessionCommand } from './decide.ts';
import { isDecidedUnder, type DecidedEvent } from './decided-events.ts';
import { deciderVersion } from './decider-version.ts';
import { digestUnder } from './model-request.ts';
import { recordedVerdict, type CallVerdict } from './permissions.ts';
import { evolve, initialState, type SessionState } from './state.ts';

/** One decision the current decider re-made from the log: which command, at which event, how many events it recorded. */
export interface CheckedDecision {
  n: number;
  command: SessionCommand['type'];
  events: number;
}

/** Where the current decider parts from the log: the recorded event `n`, what the log has, what the code decides now. */
export interface Divergence {
  ok: false;
  n: number;
  /** The recorded event. */
  expected: NewEvent;
  /** The event the decider records now, or null when it would record nothing here. */
  actual: NewEvent | null;
  reason: string;
}

export type HistoryCheck = { ok: true; decisions: CheckedDecision[] } | Divergence;

/**
 * Folds a recorded history through the current decider: at each position it derives the
 * command that must have produced the next events, decides it on the state folded so far and
 * compares. A log the code would write differently is a divergence, reported at its first event.
 * The session is decided under the decider version its `session.created` records.
 */
export function checkHistory(events: readonly SessionEvent[], decider: typeof decide = decide): HistoryCheck {
  let state: SessionState = initialState();
  const decisions: CheckedDecision[] = [];
  let i = 0;
  while (i < events.length) {
    const event = events[i] as SessionEvent;
    // Events the decider does not record are folded and skipped.
    if (!isDecidedUnder(state.status === 'new' ? deciderVersion : state.deciderVersion, event)) {
      state = evolve(state, event);
      i += 1;
      continue;
    }
    if (event.type === 'session.created' && event.data.deciderVersion > deciderVersion) {
      return divergence(event, null, `the session was created under decider version ${event.data.deciderVersion}; this code decides up to version ${deciderVersion}`);
    }
    const command = commandFor(event, state, events, i);
    const decision = decider(command, state);
    const decided = decision.events;
    // A log may end inside a decision (still running, or cut off by a crash): only the recorded part is compared.
    const recorded = events.slice(i, i + decided.length);
    if (decided.length === 0) return divergence(event, null, `the decider records nothing for ${command.type} on a session that is ${state.status}`);
    for (const [j, actual] of decided.entries()) {
      const expected = recorded[j];
      if (!expected) break;
      const reason = differenceOf(expected, inSchemeOf(expected, actual, decision));
      if (reason) return divergence(expected, actual, reason);
      state = evolve(state, expected);
    }
    decisions.push({ n: event.n, command: command.type, events: recorded.length });
    i += recorded.length;
  }
  return { ok: true, decisions };
}

/** The command whose decision begins with `event`, rebuilt from the recorded data. */
function commandFor(event: DecidedEvent, state: SessionState, events: readonly SessionEvent[], at: number): SessionCommand {
  switch (event.type) {
    case 'session.created': {
      const { agent, tools, input, budget, rubric, metadata, forkedFrom, deciderVersion, taskPolicy, nonIdempotentTools, outcome, memory, parent, delegatedBy, output } = event.data;
      const { sessionId, correlationId } = event;
      if (forkedFrom) {
        // A fork's first `forkedFrom.n` events are its prefix, recorded as given (agent edits already in session.created).
        const prefix = events.filter((recorded) => recorded.n <= forkedFrom.n).map(({ type, data }) => ({ type, data }) as NewEvent);
        return { type: 'ForkSession', sessionId, correlationId, from: forkedFrom, prefix, deciderVersion };
      }
      return { type: 'StartSession', sessionId, correlationId, agent, tools, input, budget, rubric, metadata, taskPolicy, nonIdempotentTools, outcome, memory, parent, delegatedBy, output, deciderVersion };
    }
    case 'model.responded': {
      const { callId, model, content, stopReason, usage, costUsd, latencyMs } = event.data;
      return { type: 'RecordModelReply', callId, response: { model, content, stopReason, usage }, costUsd, latencyMs };
    }
    case 'model.failed': {
      const { callId, code, message, retryable, usage, costUsd } = event.data;
      return { type: 'RecordModelFailure', callId, code, message, retryable, usage, costUsd };
    }
    case 'tool.completed':
    case 'tool.failed':
    case 'tool.outcome_unknown':
      return { type: 'RecordToolResult', result: toolResultOf(event.sessionId, event) };
    case 'message.received': {
      const { text, by, messageId } = event.data;
      return { type: 'ReceiveMessage', text, by, messageId };
    }
    case 'session.interrupted': {
      const { by, reason, interruptId, usage, costUsd } = event.data;
      return { type: 'Interrupt', by, reason, interruptId, usage, costUsd };
    }
    case 'context.compacted': {
      const { callId, from, upTo, model, summary, error, usage, costUsd, tokensBefore } = event.data;
      return { type: 'RecordCompaction', callId, from, upTo, model, summary, error, usage, costUsd, tokensBefore };
    }
    case 'subagent.completed': {
      const { callId, sessionId, status, output, reason, totals, workspaceRevision } = event.data;
      return { type: 'RecordChildResult', callId, childSessionId: sessionId, status: status as 'succeeded' | 'failed' | 'aborted', output, reason, totals, workspaceRevision };
    }
    case 'subagent.spawned':
      // Recorded with its call's verdict, in the decision that request opens.
      return { type: 'RecordPermissions', ...verdictsFrom(events, at) };
    case 'memory.loaded': {
      const { store, version, entries, problem } = event.data;
      return { type: 'RecordMemoryLoaded', store: store ?? '', version: version ?? 0, entries: entries.map(({ key, text }) => ({ id: key, text })), problem };
    }
    case 'signal.received': {
      const { name, payload, by, messageId } = event.data;
      return { type: 'ReceiveSignal', name, payload, by, messageId };
    }
    case 'turn.completed':
      // Recorded with the reply that answered: opening a decision, one cut off after that reply.
      return { type: 'Resume' };
    case 'session.completed':
      if (event.data.closedBy !== undefined) return { type: 'CloseSession', by: event.data.closedBy, reason: event.data.reason ?? '' };
      // Completed outside any decision's chain: the shell failed the session (a task or command it could not apply).
      return state.status === 'deciding' ? { type: 'Resume' } : { type: 'FailSession', reason: event.data.reason ?? '' };
    case 'session.paused':
      // A pause a spent budget records is part of the decision that spent it; opening one, it was asked for.
      return { type: 'PauseSession', reason: event.data.reason, by: event.data.by ?? '' };
    case 'session.resumed':
      return { type: 'ResumeSession', by: event.data.by ?? '', budget: event.data.budget };
    case 'supervisor.intervened': {
      const { detector, action, reason, evidence, model, at } = event.data;
      // A rewind is decided from the log up to its fork point, as the shell reads it.
      const rewind = at === undefined ? {} : { rewind: { at, log: events.filter((recorded) => recorded.n <= at) } };
      return { type: 'Intervene', detector, action, reason, evidence, model, ...rewind };
    }
    case 'supervisor.judged': {
      const { model, upTo, verdict, reason, evidence, usage, costUsd } = event.data;
      return { type: 'RecordJudgement', model, upTo, verdict, reason, evidence, usage, costUsd };
    }
    case 'outcome.graded':
      return { type: 'RecordGrade', ...event.data };
    case 'approval.resolved': {
      const { approvalId, approved, by, note, scope } = event.data;
      return { type: 'RecordApproval', approvalId, approved, by, note, scope };
    }
    case 'supervisor.gated':
      // Without a tool: the gate stopped a model call. With one it opens no decision of its own (as below).
      if (event.data.tool === undefined) {
        const { tool: _tool, ...verdict } = event.data;
        return { type: 'RecordModelGate', callId: verdict.callId, verdict };
      }
      return { type: 'RecordPermissions', ...verdictsFrom(events, at) };
    case 'permission.granted':
    case 'permission.denied':
    case 'approval.requested':
      // Verdicts opening a decision: the check before a re-dispatch (or of a call just approved).
      return { type: 'RecordPermissions', ...verdictsFrom(events, at) };
    case 'tool.requested':
      // Under decider version 3 the calls are requested with their verdicts; before, a cut-off decision resumed.
      return state.status === 'deciding' && state.deciderVersion >= 3 ? { type: 'RecordPermissions', ...verdictsFrom(events, at) } : { type: 'Resume' };
    case 'model.requested':
    case 'budget.exceeded':
    case 'outcome.submitted':
    case 'output.rejected':
      // Opening a decision: a cut-off decision resumed after a crash.
      return { type: 'Resume' };
    default:
      return assertNever(event);
  }
}

/** The broker's and the supervisor's gate's verdicts recorded in the run of requests and verdicts that starts at `at`: one append's worth. */
function verdictsFrom(events: readonly SessionEvent[], at: number): { verdicts: CallVerdict[]; gate: GateVerdict[] } {
  const verdicts: CallVerdict[] = [];
  const gate: GateVerdict[] = [];
  for (const event of events.slice(at)) {
    // A delegation's child is recorded beside its call's verdict (decider version 11 on).
    if (event.type === 'tool.requested' || event.type === 'subagent.spawned') continue;
    if (event.type === 'supervisor.gated') {
      const { tool: _tool, ...verdict } = event.data;
      gate.push(verdict);
      continue;
    }
    const verdict = recordedVerdict(event);
    if (verdict === undefined) break;
    verdicts.push(verdict);
  }
  return { verdicts, gate };
}

/** A `model.requested` recorded under another digest scheme (runs older than v2): compare like with like. */
function inSchemeOf(expected: SessionEvent, actual: NewEvent, decision: Decision): NewEvent {
  if (expected.type !== 'model.requested' || actual.type !== 'model.requested') return actual;
  const { digestScheme } = expected.data;
  const call = decision.effects.find((effect) => effect.type === 'CallModel');
  // A fold of the whole log holds every message, so the whole request is at hand.
  if (digestScheme === actual.data.digestScheme || !call || call.earlierMessages > 0) return actual;
  return { ...actual, data: { ...actual.data, digest: digestUnder[digestScheme](call), digestScheme } };
}

/** Why `actual` is not the event the log recorded, or undefined when it is. */
function differenceOf(expected: SessionEvent, actual: NewEvent): string | undefined {
  if (expected.type !== actual.type) return `the decider now records ${actual.type} where the log has ${expected.type}`;
  const recorded = expected.data as Record<string, unknown>;
  const decided = actual.data as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(recorded), ...Object.keys(decided)])].sort();
  const differing = keys.filter((key) => canonical(recorded[key]) !== canonical(decided[key]));
  if (differing.length === 0) return undefined;
  if (expected.type === 'model.requested' && differing.includes('digest')) {
    return `the model request is rebuilt differently (digest ${String(recorded['digest']).slice(0, 12)}… now ${String(decided['digest']).slice(0, 12)}…)`;
  }
  return `${expected.type} differs in ${differing.join(', ')}`;
}

function divergence(expected: SessionEvent, actual: NewEvent | null, reason: string): Divergence {
  return { ok: false, n: expected.n, expected: { type: expected.type, data: expected.data } as NewEvent, actual, reason };
}

/** JSON with sorted keys and without undefined fields, as the codec stores it; `undefined` for an absent field. */
function canonical(value: unknown): string {
  return value === undefined ? 'undefined' : canonicalJson(value);
}
