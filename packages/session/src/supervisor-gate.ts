import type { GateVerdict, NewEvent } from '@signalbox/events';
import { nothing, type Decision } from './next-step.ts';
import type { ActiveState } from './state.ts';

/** The decider version from which an agent's `supervision.gate` holds its tool calls for the supervisor's verdict. */
export const supervisorGateFrom = 7;

/** How long the actor waits for a verdict unless the agent says, and what it does without one. */
export const defaultGateTimeoutMs = 1_000;

/** What the shell needs to ask the supervisor's gate, beside the calls: the effect `CheckPermissions` carries it. */
export interface SupervisorGate {
  /** The session's last event: the supervisor answers once it has folded the log this far. */
  head: number;
  timeoutMs: number;
  /** With no verdict in time: `open` runs the calls, `closed` blocks them. */
  onNoAnswer: 'open' | 'closed';
  /** Whether model calls are asked about too. */
  modelCalls: boolean;
}

/** The gate a session's new tool calls pass, after the permission check; undefined when its agent has none. */
export function supervisorGate(state: ActiveState): SupervisorGate | undefined {
  const supervision = state.agent.supervision;
  if (state.deciderVersion < supervisorGateFrom || supervision === false || supervision === undefined) return undefined;
  const { gate } = supervision;
  if (gate === undefined || gate === false) return undefined;
  const settings = gate === true ? {} : gate;
  return { head: state.n, timeoutMs: settings.timeoutMs ?? defaultGateTimeoutMs, onNoAnswer: settings.onNoAnswer ?? 'open', modelCalls: settings.modelCalls ?? false };
}

/** The gate a model call passes (`gate.modelCalls`), asked once the log holds `head` (its `model.requested`). */
export function modelCallGate(state: ActiveState, head: number): SupervisorGate | undefined {
  const gate = supervisorGate(state);
  return gate?.modelCalls ? { ...gate, head } : undefined;
}

/**
 * The gate stopped the model call the session waits on: recorded (`supervisor.gated`, no tool) with
 * the pause it leads to; a person who resumes calls the model (asking the gate again). A block is a
 * pause here: a model call has no result to answer it with. A verdict to proceed records nothing.
 */
export function recordModelGate(state: ActiveState, callId: string, verdict: GateVerdict): Decision {
  if (state.status !== 'awaiting_model' || state.callId !== callId || state.paused || verdict.verdict === 'proceed' || supervisorGate(state) === undefined) return nothing;
  const by = verdict.unanswered || verdict.detector === undefined ? "the supervisor's gate" : `the supervisor's ${verdict.detector} detector`;
  const paused: NewEvent = { type: 'session.paused', data: { reason: `paused by ${by} before the model was called: ${verdict.reason ?? 'no reason given'}; resume to call it`, by: `supervisor:${verdict.detector ?? 'gate'}` } };
  return { events: [{ type: 'supervisor.gated', data: { ...verdict, verdict: 'pause' } }, paused], effects: [] };
}

/** The verdict the shell gives a call when no supervisor answered by the deadline: the agent's choice, marked as such. */
export function unansweredGateVerdict(callId: string, gate: Pick<SupervisorGate, 'timeoutMs' | 'onNoAnswer'>): GateVerdict {
  const waited = `no supervisor answered within ${gate.timeoutMs} ms`;
  return gate.onNoAnswer === 'open'
    ? { callId, verdict: 'proceed', reason: `${waited}; the agent's gate fails open`, unanswered: true }
    : { callId, verdict: 'block', reason: `${waited}, and the agent's gate fails closed: the call did not run`, unanswered: true };
}

/** What a verdict on an allowed call records, answers in its place, and whether the call runs. */
export interface GateOutcome {
  recorded: NewEvent[];
  answered: NewEvent[];
  runs: boolean;
}

/**
 * Follows the gate's verdict on a call the broker allowed: the verdict is recorded beside the call's
 * permission; a blocked call is answered with the reason (the model reads it, as a nudge); a paused
 * one waits, with its grant, while the session pauses, and runs when a person resumes it.
 */
export function followGate(call: { callId: string; tool: string }, verdict: GateVerdict): GateOutcome {
  const gated: NewEvent = { type: 'supervisor.gated', data: { ...verdict, tool: call.tool } };
  const by = verdict.unanswered || verdict.detector === undefined ? "the supervisor's gate" : `the supervisor's ${verdict.detector} detector`;
  switch (verdict.verdict) {
    case 'proceed':
      return { recorded: [gated], answered: [], runs: true };
    case 'block': {
      const error = `blocked by ${by}: ${verdict.reason ?? 'no reason given'}`;
      return { recorded: [gated], answered: [{ type: 'tool.failed', data: { callId: call.callId, tool: call.tool, error, durationMs: 0 } }], runs: false };
    }
    case 'pause': {
      const reason = `paused by ${by} before ${call.tool} ran: ${verdict.reason ?? 'no reason given'}; resume to run it`;
      const paused: NewEvent = { type: 'session.paused', data: { reason, by: `supervisor:${verdict.detector ?? 'gate'}` } };
      return { recorded: [gated], answered: [paused], runs: false };
    }
  }
}
