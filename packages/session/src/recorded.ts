import { isDeepStrictEqual } from 'node:util';
import { isToolOutcome, toolResultOf, type GradeJob, type ModelRequest, type SessionEvent, type ToolJob, type ToolResult } from '@signalbox/events';
import type { SessionCommand } from './decide.ts';
import { digestUnder } from './model-request.ts';

/**
 * A hermetic fork answers from its original's log while it asks what the original asked: a model
 * call whose request digest equals the original's at the same call id and attempt gets the
 * recorded reply (or failure); a tool call with the original's call id, tool and input gets the recorded result;
 * an attempt the original submitted with the same output and files gets the original's grade of it.
 * Any difference means the fork has diverged, and the call is made for real.
 */
export function recordedModelReply(
  original: readonly SessionEvent[],
  call: { callId: string; attempt: number; digest: string; /** the whole request */ request: ModelRequest },
): SessionCommand | undefined {
  const asked = original.findIndex(
    (event) =>
      event.type === 'model.requested' &&
      event.data.callId === call.callId &&
      event.data.attempt === call.attempt &&
      event.data.digest === digestUnder[event.data.digestScheme](call),
  );
  if (asked === -1) return undefined;
  const answer = original.slice(asked + 1).find((event) => event.type.startsWith('model.') && 'callId' in event.data && event.data.callId === call.callId);
  if (answer?.type === 'model.failed') {
    const { code, message, retryable, usage, costUsd } = answer.data;
    return { type: 'RecordModelFailure', callId: call.callId, code, message, retryable, usage, costUsd };
  }
  if (answer?.type !== 'model.responded') return undefined;
  const { model, content, stopReason, usage, costUsd, latencyMs } = answer.data;
  return { type: 'RecordModelReply', callId: call.callId, response: { model, content, stopReason, usage }, costUsd, latencyMs };
}

export function recordedToolResult(original: readonly SessionEvent[], job: ToolJob): ToolResult | undefined {
  const asked = original.find((event) => event.type === 'tool.requested' && event.data.callId === job.callId);
  if (asked?.type !== 'tool.requested' || asked.data.tool !== job.tool || !isDeepStrictEqual(asked.data.input, job.input)) return undefined;
  for (const event of original) {
    // The original's outcome, for the fork's own session.
    if (isToolOutcome(event) && event.data.callId === job.callId) return toolResultOf(job.sessionId, event);
  }
  return undefined;
}

/**
 * The original's grade of the attempt `job` submits, when the original submitted the same output and
 * files as that attempt: its `round`-th grade of it (after `round` that came with a problem).
 */
export function recordedGrade(original: readonly SessionEvent[], job: GradeJob, round: number): SessionCommand | undefined {
  const submitted = original.find((event) => event.type === 'outcome.submitted' && event.data.attempt === job.attempt);
  if (submitted?.type !== 'outcome.submitted' || submitted.data.output !== job.output || !isDeepStrictEqual(submitted.data.files, job.files)) return undefined;
  const grades = original.flatMap((event) => (event.type === 'outcome.graded' && event.data.attempt === job.attempt ? [event.data] : []));
  const grade = grades[round];
  return grade ? { type: 'RecordGrade', ...grade } : undefined;
}
