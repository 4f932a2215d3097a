import type {
  AgentDefinition,
  Budget,
  EventMeta,
  ModelRequest,
  ModelResponse,
  NewEvent,
  ToolDefinition,
  ToolJob,
  ToolResult,
} from '@signalbox/events';
import { buildModelRequest, requestDigest } from './model-request.ts';
import { evolve, type ActiveState, type SessionState } from './state.ts';

/** What the session actor is asked to do. Results of model calls come back as commands too. */
export type SessionCommand =
  | {
      type: 'StartSession';
      sessionId: string;
      correlationId: string;
      agent: AgentDefinition;
      tools: ToolDefinition[];
      input: string;
      budget: Budget;
      rubric?: unknown;
      metadata?: Record<string, string>;
    }
  | { type: 'RecordModelReply'; callId: string; response: ModelResponse; costUsd: number; latencyMs: number }
  | { type: 'RecordModelFailure'; callId: string; code: string; message: string; retryable: boolean }
  | { type: 'RecordToolResult'; result: ToolResult }
  | { type: 'FailSession'; reason: string };

/** Work for the shell. The decider never performs it; results come back as commands. */
export type SessionEffect =
  | { type: 'CallModel'; callId: string; attempt: number; model: string; request: ModelRequest }
  | { type: 'DispatchTool'; job: ToolJob };

export interface Decision {
  events: NewEvent[];
  effects: SessionEffect[];
}

/** Attempts per model call before the session fails; the SDKs already retry each attempt. */
export const maxModelAttempts = 3;

const nothing: Decision = { events: [], effects: [] };

export function decide(command: SessionCommand, state: SessionState): Decision {
  if (command.type === 'StartSession') return start(command, state);
  if (state.status === 'new' || state.status === 'completed') return nothing;
  switch (command.type) {
    case 'RecordModelReply':
      return state.status === 'awaiting_model' && state.callId === command.callId ? recordReply(command, state) : nothing;
    case 'RecordModelFailure':
      return state.status === 'awaiting_model' && state.callId === command.callId ? recordFailure(command, state) : nothing;
    case 'RecordToolResult':
      return isPendingTool(state, command.result.callId) ? recordToolResult(command.result, state) : nothing;
    case 'FailSession':
      return { events: [completed(state, 'failed', { reason: command.reason })], effects: [] };
  }
}

function start(command: Extract<SessionCommand, { type: 'StartSession' }>, state: SessionState): Decision {
  if (state.status !== 'new') return nothing; // idempotent submission: the session exists
  const { agent, tools, input, budget, rubric, metadata } = command;
  const created: NewEvent = { type: 'session.created', data: { agent, input, tools, budget, rubric, metadata } };
  // The rest of the decision is taken against the state the creation leads to.
  const after = evolve(state, { ...created, ...placeholderMeta(command.sessionId, command.correlationId, 1) });
  return prepend(created, nextModelCall(after as ActiveState));
}

function recordReply(command: Extract<SessionCommand, { type: 'RecordModelReply' }>, state: ActiveState): Decision {
  const { response } = command;
  const responded: NewEvent = {
    type: 'model.responded',
    data: {
      callId: command.callId,
      model: response.model,
      content: response.content,
      stopReason: response.stopReason,
      usage: response.usage,
      costUsd: command.costUsd,
      latencyMs: command.latencyMs,
    },
  };
  // Budget and totals are judged with this reply counted.
  const after = afterEvent(state, responded);
  const maxCostUsd = after.budget.maxCostUsd;
  if (maxCostUsd !== undefined && after.totals.costUsd > maxCostUsd) {
    return { events: [responded, ...overBudget(after, 'maxCostUsd', maxCostUsd, after.totals.costUsd)], effects: [] };
  }
  const toolUses = response.content.flatMap((block) => (block.type === 'tool_use' ? [block] : []));
  if (toolUses.length > 0) {
    const jobs = toolUses.map((use): ToolJob => ({
      sessionId: after.sessionId,
      correlationId: after.correlationId,
      callId: use.id,
      tool: use.name,
      input: use.input,
      idempotencyKey: `${after.sessionId}/${use.id}`,
    }));
    const requested = jobs.map((job): NewEvent => ({
      type: 'tool.requested',
      data: { callId: job.callId, tool: job.tool, input: job.input, idempotencyKey: job.idempotencyKey },
    }));
    return { events: [responded, ...requested], effects: jobs.map((job) => ({ type: 'DispatchTool', job })) };
  }
  return { events: [responded, endOfTurn(after, response)], effects: [] };
}

/** A reply without tool calls ends the session; how depends on why the model stopped. */
function endOfTurn(state: ActiveState, response: ModelResponse): NewEvent {
  const text = response.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('\n');
  switch (response.stopReason) {
    case 'max_tokens':
      return completed(state, 'failed', { output: text, reason: `the reply was cut off at maxTokens (${state.agent.maxTokens}); raise the agent's maxTokens` });
    case 'refusal':
      return completed(state, 'failed', { output: text, reason: 'the model refused the task' });
    default:
      return completed(state, 'succeeded', { output: text });
  }
}

function recordFailure(command: Extract<SessionCommand, { type: 'RecordModelFailure' }>, state: ActiveState & { attempt: number }): Decision {
  const failed: NewEvent = {
    type: 'model.failed',
    data: { callId: command.callId, code: command.code, message: command.message, retryable: command.retryable, attempt: state.attempt },
  };
  if (command.retryable && state.attempt < maxModelAttempts) {
    return prepend(failed, modelCall(afterEvent(state, failed), command.callId, state.attempt + 1));
  }
  const reason = `model call failed (${command.code}): ${command.message}`;
  return { events: [failed, completed(state, 'failed', { reason })], effects: [] };
}

function recordToolResult(result: ToolResult, state: ActiveState & { status: 'awaiting_tools' }): Decision {
  const outcome = toolOutcomeEvent(result);
  if (state.pending.length > 1) return { events: [outcome], effects: [] };
  return prepend(outcome, nextModelCall(afterEvent(state, outcome)));
}

function toolOutcomeEvent({ callId, tool, outcome, durationMs }: ToolResult): NewEvent {
  switch (outcome.status) {
    case 'completed':
      return { type: 'tool.completed', data: { callId, tool, output: outcome.output, durationMs } };
    case 'failed':
      return { type: 'tool.failed', data: { callId, tool, error: outcome.error, durationMs } };
    case 'unknown':
      // A non-idempotent call cut off mid-run: the model hears it may or may not have happened.
      return { type: 'tool.outcome_unknown', data: { callId, tool, reason: outcome.reason } };
    default:
      return assertNever(outcome);
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}

/** The next step, or the end of the session when the step budget is spent. */
function nextModelCall(state: ActiveState): Decision {
  const { maxSteps } = state.budget;
  const { steps } = state.totals;
  if (steps >= maxSteps) return { events: overBudget(state, 'maxSteps', maxSteps, steps), effects: [] };
  return modelCall(state, `m${steps + 1}`, 1);
}

function modelCall(state: ActiveState, callId: string, attempt: number): Decision {
  const request = buildModelRequest(state);
  const requested: NewEvent = {
    type: 'model.requested',
    data: { callId, model: state.agent.model, digest: requestDigest(request), attempt },
  };
  return { events: [requested], effects: [{ type: 'CallModel', callId, attempt, model: state.agent.model, request }] };
}

function overBudget(state: ActiveState, limit: 'maxSteps' | 'maxCostUsd', allowed: number, used: number): NewEvent[] {
  const reason = `budget exceeded: ${limit} ${used} > ${allowed}`;
  return [{ type: 'budget.exceeded', data: { limit, allowed, used } }, completed(state, 'failed', { reason })];
}

function completed(
  state: ActiveState,
  status: 'succeeded' | 'failed' | 'aborted',
  detail: { output?: string; reason?: string },
): NewEvent {
  return { type: 'session.completed', data: { status, ...detail, totals: state.totals } };
}

function isPendingTool(state: ActiveState, callId: string): state is ActiveState & { status: 'awaiting_tools' } {
  return state.status === 'awaiting_tools' && state.pending.some((call) => call.callId === callId);
}

/** The state a proposed event leads to, for deciding the rest of the same decision. */
function afterEvent(state: ActiveState, event: NewEvent): ActiveState {
  return evolve(state, { ...event, ...placeholderMeta(state.sessionId, state.correlationId, state.n + 1) }) as ActiveState;
}

/** Envelope fields for folding an event the decider has only proposed; evolve reads none but ids and `n`. */
function placeholderMeta(sessionId: string, correlationId: string, n: number): EventMeta {
  return { id: '', v: 1, sessionId, n, at: 0, causationId: null, correlationId, by: { service: 'decider', instance: '' } };
}

function prepend(event: NewEvent, decision: Decision): Decision {
  return { events: [event, ...decision.events], effects: decision.effects };
}

/**
 * Work the log says is outstanding: a model call requested but not answered, tool calls requested
 * but without results. A redelivered message means a worker may have died mid-step; this resumes it.
 */
export function outstandingEffects(state: SessionState): SessionEffect[] {
  switch (state.status) {
    case 'awaiting_model':
      return [{ type: 'CallModel', callId: state.callId, attempt: state.attempt, model: state.agent.model, request: buildModelRequest(state) }];
    case 'awaiting_tools':
      return state.pending.map((call) => ({
        type: 'DispatchTool',
        job: { sessionId: state.sessionId, correlationId: state.correlationId, ...call },
      }));
    default:
      return [];
  }
}
