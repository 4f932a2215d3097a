import { setTimeout as sleep } from 'node:timers/promises';
import type { JetStreamClient } from '@nats-io/jetstream';
import { encode, type GradeJob, type ModelRequest, type Naming, type ToolJob } from '@signalbox/events';
import type { ActiveState, SessionCommand } from '@signalbox/session';
import { traceHeaders } from '@signalbox/runtime';
import { liveWorkspaceView, transientRetries, type EventReader } from '@signalbox/store';
import type { LiveTextOpener } from './live-text.ts';
import { callModel, type ModelResolver } from './model-caller.ts';

/** A model call the decider asked for, with its whole request. */
export interface ModelCall {
  callId: string;
  attempt: number;
  digest: string;
  request: ModelRequest;
}

/** Where the session actor's model calls go; the answer comes back as the command that records it. */
export interface ModelPort {
  /** `signal` aborts the call: an interrupt's abort answers with the interrupt, to be recorded instead of a failure. */
  call(session: ActiveState, call: ModelCall, signal?: AbortSignal): Promise<SessionCommand>;
}

/** Where tool jobs go. Results arrive later on the inbox; answers known at once come back as commands. */
export interface ToolPort {
  dispatch(sessionId: string, jobs: readonly ToolJob[]): Promise<SessionCommand[]>;
}

/** A grade job, and how many grades of its attempt came with a problem before it was sent. */
export interface GradeDispatch {
  job: GradeJob;
  round: number;
}

/** Where grade jobs go (decider version 8 on); the grade comes back on the session's grades subject, or at once as a command. */
export interface GradePort {
  dispatch(dispatches: readonly GradeDispatch[]): Promise<SessionCommand[]>;
}

/**
 * Publishes each job for the grader pool, with the workspace a fork inherited (read from the log
 * here: the grader may not read it). The message id names the session and attempt, so a job sent
 * again (a crash recovery, a re-drive) within the stream's duplicate window is not queued twice.
 */
export function liveGradePort(js: JetStreamClient, names: Naming, reader: EventReader, traceparentOf?: (job: GradeJob) => string | undefined): GradePort {
  return {
    dispatch: async (dispatches) => {
      await Promise.all(
        dispatches.map(async (dispatch) => {
          const job = await withInheritedWorkspace(reader, dispatch.job);
          const traced = traceHeaders(traceparentOf?.(dispatch.job));
          await js.publish(names.subjects.gradeJobs, encode(job), { msgID: gradeJobId(dispatch), retries: transientRetries, ...traced });
        }),
      );
      return [];
    },
  };
}

/** The job with the layers its run inherited, when the run is a fork. */
async function withInheritedWorkspace(reader: EventReader, job: GradeJob): Promise<GradeJob> {
  const inherited = (await liveWorkspaceView(reader, job.correlationId)).slice(1);
  return inherited.length === 0 ? job : { ...job, inherited };
}

/**
 * A grade job's message id: `grade/<sessionId>/<attempt>`, and `/<round>` after a grade that came with
 * a problem: the job sent again on resume must reach the grader, though the first went minutes ago.
 */
export function gradeJobId({ job, round }: GradeDispatch): string {
  return `grade/${job.sessionId}/${job.attempt}${round === 0 ? '' : `/${round}`}`;
}

/**
 * Calls the agent's model for real, backing off before a retried attempt; with `openLive`, the reply's
 * text goes out on the session's live subject as it arrives, and its end when the call ends.
 * `traceparentOf` names the call's span, when the actor traces the turn: sent to the provider as the
 * request's `traceparent` header.
 */
export function liveModelPort(resolveModel: ModelResolver, clock: () => number, openLive?: LiveTextOpener, traceparentOf?: (sessionId: string, callId: string) => string | undefined): ModelPort {
  return {
    call: async (session, call, signal) => {
      if (call.attempt > 1) await sleep(250 * 2 ** (call.attempt - 2));
      const live = openLive?.(session.sessionId, call);
      const traceparent = traceparentOf?.(session.sessionId, call.callId);
      const command = await callModel(resolveModel, session.agent, { callId: call.callId, request: call.request }, clock, { signal, onText: live?.onText, traceparent });
      live?.end(command.type !== 'RecordModelReply');
      return command;
    },
  };
}

/**
 * Publishes each job for the executors, with this actor's own inbox for its result.
 * `traceparentOf` names the span a job runs under (its tool call's, when the actor traces the turn):
 * carried as the message's W3C `traceparent` header, so the executor's span is its child.
 */
export function liveToolPort(js: JetStreamClient, names: Naming, actor: string, traceparentOf?: (job: ToolJob) => string | undefined): ToolPort {
  return {
    dispatch: async (sessionId, jobs) => {
      const replyTo = names.subjects.actorInbox(sessionId, actor);
      // The session and idempotency key make the message id, so a re-dispatch within the window (a retry
      // after a lost ack included) is dropped by the stream. A fork's copy of a call keeps its origin's
      // key (the ledger answers it with the origin's result), but is a job of its own.
      const options = (job: ToolJob) => ({ msgID: `${job.sessionId}:${job.idempotencyKey}`, retries: transientRetries, ...traceHeaders(traceparentOf?.(job)) });
      await Promise.all(jobs.map((job) => js.publish(names.subjects.toolJob(job.tool), encode({ ...job, replyTo }), options(job))));
      return [];
    },
  };
}
