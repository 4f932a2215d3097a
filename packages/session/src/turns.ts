import type { EventData, Message, ToolResultBlock } from '@signalbox/events';
import { lastMessage, withMessage } from './conversation.ts';
import { base, type ActiveState } from './state.ts';
import { keptSignals, signalNameOf, waitingFor } from './waits.ts';

/**
 * How many message and interrupt ids a session remembers. One is delivered again within the inbox's
 * redelivery window, long before this many newer ones have come.
 */
export const rememberedIds = 64;

/** What the model reads for a tool call an interrupt stopped. */
export const interruptedCallText = 'interrupted: the call was stopped before it finished';

/** A message starts the next turn of an idle session; a running one keeps it for the turn after. */
export function recordMessage(state: ActiveState, { text, messageId }: EventData<'message.received'>): ActiveState {
  const received = remember(state.received, messageId);
  if (state.status !== 'idle') return { ...state, received, queued: [...state.queued, text] };
  return startTurn({ ...base(state), received }, [text]);
}

/** A turn's answer leaves the session idle, unless messages came meanwhile: they start the next turn. */
export function recordTurn(state: ActiveState, { turn, output }: EventData<'turn.completed'>, n: number): ActiveState {
  const ended = { ...base(state), turns: turn };
  if (state.queued.length > 0) return startTurn(ended, state.queued);
  return { ...ended, status: 'idle', output, idleSince: n };
}

/**
 * The calls the interrupt stopped are answered as failed (the model's next request must answer each
 * call it made); then the session goes on with the messages queued meanwhile, else waits, idle.
 */
export function recordInterrupt(state: ActiveState, { interruptId, usage, costUsd }: EventData<'session.interrupted'>, n: number): ActiveState {
  const unanswered = unansweredCalls(state);
  const results = state.status === 'awaiting_tools' ? state.results : [];
  const stopped = unanswered.map((toolUseId): ToolResultBlock => ({ type: 'tool_result', toolUseId, content: interruptedCallText, isError: true }));
  const answers: Message[] = unanswered.length === 0 ? [] : [{ role: 'user', content: [...results, ...stopped] }];
  const conversation = answers.reduce(withMessage, state.conversation);
  const totals = usage === undefined ? state.totals : { ...state.totals, inputTokens: state.totals.inputTokens + usage.inputTokens, outputTokens: state.totals.outputTokens + usage.outputTokens, costUsd: state.totals.costUsd + (costUsd ?? 0) };
  const interrupted = { ...base(state), interrupts: remember(state.interrupts, interruptId), conversation, totals };
  if (state.queued.length > 0) return startTurn(interrupted, state.queued);
  return { ...interrupted, status: 'idle', output: '', idleSince: n };
}

/** The tool calls of the model's last reply that have no result yet: running, waiting for a verdict or an approval, or not yet requested. */
export function unansweredCalls(state: ActiveState): string[] {
  const last = lastMessage(state.conversation);
  if (last?.role !== 'assistant') return [];
  const answered = new Set(state.status === 'awaiting_tools' ? state.results.map((result) => result.toolUseId) : []);
  return last.content.flatMap((block) => (block.type === 'tool_use' && !answered.has(block.id) ? [block.id] : []));
}

/** The texts (and the nudges waiting) become the user message the model reads next. */
function startTurn(state: ReturnType<typeof base>, texts: readonly string[]): ActiveState {
  const content = [...texts, ...state.notes].map((text) => ({ type: 'text' as const, text }));
  const conversation = withMessage(state.conversation, { role: 'user', content });
  return { ...state, status: 'deciding', after: { kind: 'input' }, conversation, queued: [], notes: [] };
}

function remember(ids: readonly string[], id: string): string[] {
  return [...ids, id].slice(-rememberedIds);
}

/** A signal no call waits for is kept for the next `wait.signal` of its name (the decider completes a waiting one with it). */
export function recordSignal(state: ActiveState, { name, payload, messageId }: EventData<'signal.received'>): ActiveState {
  const received = remember(state.received, messageId);
  if (waitingFor(state, name)) return { ...state, received };
  const signals = [...state.signals, { name, ...(payload === undefined ? {} : { payload }) }].slice(-keptSignals);
  return { ...state, received, signals };
}

/** A `wait.signal` call answered: the kept signal of its name it took, if one was kept, is gone. */
export function takeSignalFor(state: ActiveState, callId: string): ActiveState {
  const call = state.status === 'awaiting_tools' ? state.pending.find((pending) => pending.callId === callId) : undefined;
  const name = call?.tool === 'wait.signal' ? signalNameOf(call.input) : undefined;
  const index = name === undefined ? -1 : state.signals.findIndex((signal) => signal.name === name);
  return index === -1 ? state : { ...state, signals: state.signals.filter((_, i) => i !== index) };
}
