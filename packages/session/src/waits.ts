import { delegateTool, handoffTool, isMemoryTool, maxWaitMs, WaitSignalInput, WaitTimeInput, type NewEvent, type ToolOutcome } from '@signalbox/events';
import { takesConversations } from './conversations.ts';
import { runMemoryTool } from './memory.ts';
import { builtInCompleted, builtInFailed, invalidInput } from './built-in-answers.ts';
import { runDelegation } from './delegation.ts';
import { nothing, recordThenContinue, type Decision, type SessionEffect } from './next-step.ts';
import type { ActiveState, PendingTool } from './state.ts';

export interface Signal {
  name: string;
  payload?: string | undefined;
  by: string;
  /** The inbox message that carried it: delivered again, it is recorded once. */
  messageId: string;
}

/** How many signals nobody waited for a session keeps for its next waits; older ones go first. */
export const keptSignals = 100;

/** The call of the built-in tool, as it was asked for: when, by the log's clock, its wait started. */
type BuiltInCall = Pick<PendingTool, 'callId' | 'tool' | 'input'> & { requestedAt: number };

/**
 * What an allowed call of a built-in tool does (decider version 9 on): answered at once (input it cannot
 * take, a wait past the wall-clock budget, a signal already here), or a durable timer that answers it
 * (`WakeAt`); a signal's wait without a timeout just waits. A memory tool's call is the actor's to
 * answer (decider version 10 on, memory.ts), a delegation starts a child session (11 on, delegation.ts;
 * `decided` is what the decision recorded before it). Undefined for any other tool: an executor runs it.
 */
export function runBuiltIn(state: ActiveState, call: BuiltInCall, decided: readonly NewEvent[] = []): { answered: NewEvent } | { effects: SessionEffect[] } | { spawned: NewEvent; effects: SessionEffect[] } | undefined {
  if (isMemoryTool(call.tool)) return runMemoryTool(state, call);
  if (call.tool === delegateTool.name || call.tool === handoffTool.name) return runDelegation(state, call, decided);
  if (!takesConversations(state)) return undefined;
  if (call.tool === 'wait.time') return waitTime(state, call);
  if (call.tool === 'wait.signal') return waitSignal(state, call);
  return undefined;
}

/** Records a signal: the first call waiting for it completes with its payload; with none waiting, it is kept for the next. */
export function receiveSignal(state: ActiveState, signal: Signal): Decision {
  if (!takesConversations(state) || state.status === 'completed' || state.received.includes(signal.messageId)) return nothing;
  const { name, payload, by, messageId } = signal;
  const received: NewEvent = { type: 'signal.received', data: { name, by, messageId, ...(payload === undefined ? {} : { payload }) } };
  const waiting = waitingFor(state, name);
  if (!waiting) return { events: [received], effects: [] };
  const rest = recordThenContinue(state, received, { type: 'tool.completed', data: { callId: waiting.callId, tool: 'wait.signal', output: payload ?? '', durationMs: 0 } });
  return { events: rest.events, effects: [{ type: 'CancelWake', sessionId: state.sessionId, callId: waiting.callId }, ...rest.effects] };
}

/** The first call waiting for the signal `name`, if one is. */
export function waitingFor(state: ActiveState, name: string): PendingTool | undefined {
  if (state.status !== 'awaiting_tools') return undefined;
  return state.pending.find((call) => call.tool === 'wait.signal' && call.permission !== undefined && signalNameOf(call.input) === name);
}

export function signalNameOf(input: unknown): string | undefined {
  const parsed = WaitSignalInput.safeParse(input);
  return parsed.success ? parsed.data.name : undefined;
}

function waitTime(state: ActiveState, call: BuiltInCall): { answered: NewEvent } | { effects: SessionEffect[] } {
  const parsed = WaitTimeInput.safeParse(call.input);
  if (!parsed.success) return { answered: invalidInput(call, parsed.error) };
  const { seconds, until } = parsed.data;
  const at = until === undefined ? call.requestedAt + (seconds ?? 0) * 1000 : Date.parse(until);
  if (at <= call.requestedAt) return { answered: builtInCompleted(call, `${until ?? 'that time'} has passed already`) };
  if (at - call.requestedAt > maxWaitMs) return { answered: builtInFailed(call, `a wait may last at most ${maxWaitMs / 1000} seconds`) };
  const late = pastBudget(state, at);
  if (late) return { answered: builtInFailed(call, late) };
  return { effects: [wakeAt(state, call, at, { status: 'completed', output: `waited until ${new Date(at).toISOString()}` })] };
}

function waitSignal(state: ActiveState, call: BuiltInCall): { answered: NewEvent } | { effects: SessionEffect[] } {
  const parsed = WaitSignalInput.safeParse(call.input);
  if (!parsed.success) return { answered: invalidInput(call, parsed.error) };
  const { name, timeoutSeconds } = parsed.data;
  const kept = state.signals.find((signal) => signal.name === name);
  if (kept) return { answered: builtInCompleted(call, kept.payload ?? '') };
  if (timeoutSeconds === undefined) return { effects: [] };
  const at = call.requestedAt + timeoutSeconds * 1000;
  const late = pastBudget(state, at);
  if (late) return { answered: builtInFailed(call, late) };
  return { effects: [wakeAt(state, call, at, { status: 'failed', error: `no signal "${name}" came within ${timeoutSeconds} second${timeoutSeconds === 1 ? '' : 's'}` })] };
}

/** Why a wait ending at `at` is refused: it would outlast the session's wall-clock budget. */
function pastBudget(state: ActiveState, at: number): string | undefined {
  const { maxWallClockMs } = state.budget;
  if (maxWallClockMs === undefined) return undefined;
  const end = state.clock.startedAt + maxWallClockMs;
  if (at <= end) return undefined;
  return `the wait would end at ${new Date(at).toISOString()}, after the session's wall-clock budget runs out at ${new Date(end).toISOString()} (maxWallClockMs ${maxWallClockMs}); wait less`;
}

function wakeAt(state: ActiveState, call: BuiltInCall, at: number, outcome: ToolOutcome): SessionEffect {
  return { type: 'WakeAt', sessionId: state.sessionId, callId: call.callId, tool: call.tool, at, outcome, durationMs: at - call.requestedAt };
}

