import { errors } from '@nats-io/nats-core';
import { decode, DecodeError, GradeCommand, GradedData, GradeJob, SessionId, SubmittedData, type Rubric, type SessionEvent } from '@signalbox/events';
import { sessionOutcomeOf } from '@signalbox/session';
import { z } from 'zod';

/** A recorded grade, as `outcome.graded` holds it. */
export type RecordedGrade = z.infer<typeof GradedData>;

/** One attempt to grade again: the job for the grader (the new rubric, the session's own output, files and settings), and the grade it got then. */
export interface RegradeAttempt {
  attempt: number;
  job: GradeJob;
  /** The attempt's recorded grade (the last, if graded more than once); undefined when it was never graded. */
  old: RecordedGrade | undefined;
}

export interface RegradeJobsOptions {
  /** Only the last attempt submitted. */
  last?: boolean;
}

/** Why a session's attempts cannot be graded again. */
export class RegradeError extends Error {
  override name = 'RegradeError';
}

/**
 * The grade jobs that grade a session's submitted attempts again against `rubric`: each with the
 * output text and the files (at the revisions) its `outcome.submitted` names, and the session's own
 * outcome settings and grader model (the outcome's, else the agent's) and input (only when the outcome
 * lets the grader see it). Pure: the log is read, never written. Throws RegradeError when the session
 * took no grades (no outcome) or submitted nothing.
 */
export function regradeJobs(events: readonly SessionEvent[], rubric: Rubric, options: RegradeJobsOptions = {}): RegradeAttempt[] {
  const created = events.find((event) => event.type === 'session.created');
  if (created?.type !== 'session.created') throw new RegradeError('no session: its log has no session.created');
  const { sessionId, correlationId } = created;
  const outcome = sessionOutcomeOf(created.data);
  if (!outcome) throw new RegradeError(`session ${sessionId} has no outcome: its answers were never graded`);
  const submitted = events.filter((event) => event.type === 'outcome.submitted').map((event) => SubmittedData.parse(event.data));
  if (submitted.length === 0) throw new RegradeError(`session ${sessionId} has no outcome.submitted: it submitted nothing to grade`);
  const graded = events.filter((event) => event.type === 'outcome.graded').map((event) => GradedData.parse(event.data));
  const model = outcome.settings.model ?? created.data.agent.model;
  const chosen = options.last ? submitted.slice(-1) : submitted;
  return chosen.map(({ attempt, output, files }) => {
    const input = outcome.input === undefined ? {} : { input: outcome.input };
    const job = GradeJob.parse({ sessionId, correlationId, attempt, output, files, rubric, outcome: outcome.settings, model, ...input });
    return { attempt, job, old: graded.findLast((grade) => grade.attempt === attempt) };
  });
}

/** A session id as the command line gives it: one NATS subject token (no dots, no wildcards), or a RegradeError. */
export function regradeSessionId(text: string): string {
  const parsed = SessionId.safeParse(text);
  if (!parsed.success) throw new RegradeError(`not a session id: ${JSON.stringify(text.slice(0, 80))} (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  return parsed.data;
}

/** The grader's reply to a regrade request: the grade, or why there is none. */
const RegradeReply = z.union([z.strictObject({ grade: GradeCommand }), z.strictObject({ error: z.string() })]);

/** What a regrade request's failure to get an answer means, said as what to do. */
export function regradeRequestError(error: unknown, timeoutMs: number): Error {
  if (error instanceof errors.NoRespondersError || (error instanceof errors.RequestError && error.isNoResponders())) {
    return new RegradeError('no grader answered: start `signalbox run grader`', { cause: error });
  }
  if (error instanceof errors.TimeoutError || (error instanceof errors.RequestError && error.cause instanceof errors.TimeoutError)) {
    return new RegradeError(`no grade came within ${timeoutMs} ms (raise --timeout-ms)`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Reads the grader's reply (msgpack): the grade, or a RegradeError with the grader's reason. */
export function readRegradeReply(bytes: Uint8Array): GradeCommand {
  let reply: z.infer<typeof RegradeReply>;
  try {
    reply = decode(RegradeReply, bytes, 'a regrade reply');
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    throw new RegradeError(`the grader answered with something that is not a grade: ${error.message}`, { cause: error });
  }
  if ('error' in reply) throw new RegradeError(`the grader could not regrade: ${reply.error}`);
  return reply.grade;
}
