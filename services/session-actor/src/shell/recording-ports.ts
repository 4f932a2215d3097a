import { recordedGrade, recordedModelReply, recordedToolResult, type SessionCommand } from '@signalbox/session';
import type { ToolJob } from '@signalbox/events';
import type { ForkRecordings } from './fork-recordings.ts';

/** Where a hermetic fork's original log comes from (undefined: the session is not one). */
type Originals = Pick<ForkRecordings, 'of'>;
import type { GradeDispatch, GradePort, ModelPort, ToolPort } from './effect-ports.ts';
import type { MemoryPort } from './memory-port.ts';

/**
 * A hermetic fork's model calls: answered from its original's log while it asks what the original
 * asked (same call, attempt and request digest), and by `live` from the first call that differs.
 */
export function recordingModelPort(live: ModelPort, recordings: Originals): ModelPort {
  return {
    call: async (session, call, signal) => {
      const original = await recordings.of(session.sessionId);
      return (original && recordedModelReply(original, call)) || live.call(session, call, signal);
    },
  };
}

/** A hermetic fork's tool calls: the original's result when the call is the original's, else dispatched by `live`. */
export function recordingToolPort(live: ToolPort, recordings: Originals): ToolPort {
  return {
    dispatch: async (sessionId, jobs) => {
      const original = await recordings.of(sessionId);
      const answered: SessionCommand[] = [];
      const unanswered: ToolJob[] = [];
      for (const job of jobs) {
        const result = original && recordedToolResult(original, job);
        if (result) answered.push({ type: 'RecordToolResult', result });
        else unanswered.push(job);
      }
      return [...answered, ...(unanswered.length > 0 ? await live.dispatch(sessionId, unanswered) : [])];
    },
  };
}

/** A hermetic fork's grades: the original's grade of an attempt it submitted alike, else sent to the grader pool by `live`. */
export function recordingGradePort(live: GradePort, recordings: Originals): GradePort {
  return {
    dispatch: async (dispatches) => {
      const answered: SessionCommand[] = [];
      const unanswered: GradeDispatch[] = [];
      for (const dispatch of dispatches) {
        const original = await recordings.of(dispatch.job.sessionId);
        const grade = original && recordedGrade(original, dispatch.job, dispatch.round);
        if (grade) answered.push(grade);
        else unanswered.push(dispatch);
      }
      return [...answered, ...(unanswered.length > 0 ? await live.dispatch(unanswered) : [])];
    },
  };
}

/** A hermetic fork's memory: the original's answer to a memory tool's call it made alike, else the store's, by `live`. */
export function recordingMemoryPort(live: MemoryPort, recordings: Originals): MemoryPort {
  return {
    load: (effect) => live.load(effect),
    run: async (session, effect) => {
      const original = await recordings.of(session.sessionId);
      const asked = session.status === 'awaiting_tools' ? session.pending.find((call) => call.callId === effect.callId) : undefined;
      const job = asked && { sessionId: session.sessionId, correlationId: session.correlationId, callId: asked.callId, tool: asked.tool, input: asked.input, idempotencyKey: asked.idempotencyKey };
      const result = original && job && recordedToolResult(original, job);
      return result ? { type: 'RecordToolResult', result } : live.run(session, effect);
    },
  };
}
