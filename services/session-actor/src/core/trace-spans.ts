import type { EventData, EventType, NewEvent } from '@signalbox/events';
import type { SessionState } from '@signalbox/session';

/**
 * What the spans of a session's turns are, from the events the actor appends: a turn (from the input
 * that sets the session working until it completes, goes idle or pauses), a step per model call, the
 * model call, each tool call and each delegation under it, and each attempt's grading under the turn.
 * Attributes follow OpenTelemetry's GenAI conventions and never hold a prompt, an answer, a tool's
 * input or output: no content, so no secret, reaches a span.
 */
export type SpanKey = 'turn' | 'step' | `call:${string}` | `grade:${number}`;

export type SpanAttributes = Record<string, string | number | boolean | string[]>;

export type SpanOp =
  | { op: 'start'; key: SpanKey; parent: 'turn' | 'step'; name: string; kind: 'client' | 'internal'; attributes: SpanAttributes }
  | { op: 'end'; key: SpanKey; attributes: SpanAttributes; error?: string };

/** Whether an append sets the session working (a turn starts), stops it (the turn ends), or neither. */
export type TurnChange = 'starts' | 'ends' | 'continues' | 'none';

export function turnChange(before: SessionState, after: SessionState): TurnChange {
  const was = isWorking(before);
  const is = isWorking(after);
  if (is) return was ? 'continues' : 'starts';
  return was ? 'ends' : 'none';
}

/** Taking steps: neither new, idle, paused nor completed. */
export function isWorking(state: SessionState): boolean {
  return state.status !== 'new' && state.status !== 'idle' && state.status !== 'completed' && state.paused === null;
}

/** The turn's span: the agent invoked, linked to its session by the conversation id (a child's turn hangs under its lead's delegation). */
export function turnSpan(state: Exclude<SessionState, { status: 'new' }>, trigger: string): { name: string; attributes: SpanAttributes } {
  return {
    name: `invoke_agent ${state.agent.name}`,
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': state.agent.name,
      'gen_ai.conversation.id': state.sessionId,
      'signalbox.session.id': state.sessionId,
      'signalbox.correlation.id': state.correlationId,
      'signalbox.turn.trigger': trigger,
    },
  };
}

/** `provider/model` as the GenAI conventions split it; a model without a provider (`scripted`) is its own. */
export function providerAndModel(model: string): { provider: string; model: string } {
  const slash = model.indexOf('/');
  return slash < 0 ? { provider: model, model } : { provider: model.slice(0, slash), model: model.slice(slash + 1) };
}

/** How each event that starts or ends a span does so; events not named here touch no span. */
const spanOpsByType: { [T in EventType]?: (data: EventData<T>) => SpanOp[] } = {
  'model.requested': (data): SpanOp[] => {
    const { provider, model } = providerAndModel(data.model);
    const attributes = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': provider, 'gen_ai.request.model': model, 'signalbox.model.attempt': data.attempt };
    return [
      { op: 'end', key: 'step', attributes: {} },
      { op: 'start', key: 'step', parent: 'turn', name: 'step', kind: 'internal', attributes: { 'signalbox.model.call_id': data.callId } },
      { op: 'start', key: callKey(data.callId), parent: 'step', name: `chat ${model}`, kind: 'client', attributes },
    ];
  },
  'model.responded': ({ callId, model, usage, stopReason, costUsd }) => [
    {
      op: 'end',
      key: callKey(callId),
      attributes: {
        'gen_ai.response.model': providerAndModel(model).model,
        'gen_ai.usage.input_tokens': usage.inputTokens,
        'gen_ai.usage.output_tokens': usage.outputTokens,
        'gen_ai.response.finish_reasons': [stopReason],
        'signalbox.cost_usd': costUsd,
      },
    },
  ],
  'model.failed': ({ callId, code }) => [{ op: 'end', key: callKey(callId), attributes: { 'error.type': code }, error: code }],
  'tool.requested': ({ callId, tool }) => [
    {
      op: 'start',
      key: callKey(callId),
      parent: 'step',
      name: `execute_tool ${tool}`,
      kind: 'internal',
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': tool, 'gen_ai.tool.call.id': callId },
    },
  ],
  'tool.completed': ({ callId, durationMs }) => [{ op: 'end', key: callKey(callId), attributes: { 'signalbox.tool.duration_ms': durationMs } }],
  'tool.failed': ({ callId, durationMs }) => [{ op: 'end', key: callKey(callId), attributes: { 'error.type': 'tool_failed', 'signalbox.tool.duration_ms': durationMs }, error: 'tool_failed' }],
  'tool.outcome_unknown': ({ callId }) => [{ op: 'end', key: callKey(callId), attributes: { 'error.type': 'outcome_unknown' }, error: 'outcome_unknown' }],
  'subagent.spawned': ({ callId, sessionId, agent, handoff }) => [
    {
      op: 'start',
      key: callKey(callId),
      parent: 'step',
      name: `invoke_agent ${agent}`,
      kind: 'client',
      attributes: {
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.agent.name': agent,
        'gen_ai.tool.call.id': callId,
        'signalbox.subagent.session.id': sessionId,
        'signalbox.subagent.kind': handoff ? 'handoff' : 'delegate',
      },
    },
  ],
  'subagent.completed': ({ callId, status }) => [
    { op: 'end', key: callKey(callId), attributes: { 'signalbox.subagent.status': status }, ...(status === 'succeeded' ? {} : { error: `subagent_${status}` }) },
  ],
  'outcome.submitted': ({ attempt }) => [
    { op: 'start', key: gradeKey(attempt), parent: 'turn', name: 'grade_outcome', kind: 'internal', attributes: { 'signalbox.outcome.attempt': attempt } },
  ],
  'outcome.graded': ({ attempt, passed, score, costUsd, problem }) => [
    {
      op: 'end',
      key: gradeKey(attempt),
      attributes: { 'signalbox.outcome.passed': passed, 'signalbox.outcome.score': score, 'signalbox.cost_usd': costUsd },
      ...(problem === undefined ? {} : { error: 'grade_problem' }),
    },
  ],
};

/** The spans an event starts or ends, in order. */
export function spanOpsOf<T extends EventType>(event: { type: T; data: EventData<T> }): SpanOp[] {
  const ops = spanOpsByType[event.type];
  return ops ? ops(event.data) : [];
}

/** Events that start or end a turn: they carry the turn's own context, which a later turn links to. */
const turnEvents = new Set<NewEvent['type']>(['session.created', 'message.received', 'session.resumed', 'turn.completed', 'session.paused', 'session.completed']);

/** The span whose context an event carries: its call's, the turn's, else the step's (the shell falls back to the turn when no step is open). */
export function spanOfEvent(event: NewEvent): SpanKey {
  if (turnEvents.has(event.type)) return 'turn';
  if (event.type === 'outcome.submitted' || event.type === 'outcome.graded') return gradeKey(event.data.attempt);
  const callId = callIdOf(event);
  return callId === undefined ? 'step' : callKey(callId);
}

function callIdOf(event: NewEvent): string | undefined {
  const data: unknown = event.data;
  if (typeof data !== 'object' || data === null || !('callId' in data) || typeof data.callId !== 'string') return undefined;
  return ['model.', 'tool.', 'permission.', 'approval.', 'subagent.'].some((prefix) => event.type.startsWith(prefix)) ? data.callId : undefined;
}

/** A model, tool or delegation call's span. */
export function callKey(callId: string): SpanKey {
  return `call:${callId}`;
}

/** The span of an attempt's grading, from its submission until its grade. */
export function gradeKey(attempt: number): SpanKey {
  return `grade:${attempt}`;
}
