import type { Msg, Subscription } from '@nats-io/nats-core';
import { decode, DecodeError, encode, GradeJob, type GradeCommand } from '@signalbox/events';
import type { GradeDeps } from './grade-jobs.ts';
import { gradeJob, jobLogger } from './grade-jobs.ts';

/** The answer to a regrade request: the grade, or why there is none. */
export type RegradeReply = { grade: GradeCommand } | { error: string };

/** Queue group of the regrade responders: one replica answers each request. */
export const regradeQueue = 'grader';

export interface RegradeResponder {
  stop(): Promise<void>;
}

/**
 * Answers `sbx.rpc.grader.regrade` (core request/reply, one replica of the pool a request): grades the
 * GradeJob it is sent, as a job from the queue would be, and replies with the grade, sending it to no
 * session. `signalbox regrade` grades archived outputs again against a changed rubric with it. At most
 * `maxAtOnce` at a time: past that a request is answered with an error at once.
 */
export function startRegradeResponder(deps: GradeDeps, maxAtOnce: number): RegradeResponder {
  const pending = new Set<Promise<void>>();
  const subscription: Subscription = deps.nc.subscribe(deps.names.subjects.regrade, {
    queue: regradeQueue,
    callback: (error, message) => {
      if (error) return deps.logger.warn({ err: error }, 'the regrade subscription failed');
      // Each regrade may call a model: a flood is refused, not queued without end.
      if (pending.size >= maxAtOnce) return reply(message, { error: `this grader is already regrading ${pending.size} jobs; ask again later` });
      const answering = answer(deps, message).finally(() => pending.delete(answering));
      pending.add(answering);
    },
  });
  return {
    stop: async () => {
      await subscription.drain();
      await Promise.allSettled(pending);
    },
  };
}

async function answer(deps: GradeDeps, message: Msg): Promise<void> {
  let job: GradeJob;
  try {
    job = decode(GradeJob, message.data, 'a regrade request (a grade job)');
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    deps.logger.warn({ err: error }, 'refused a regrade request it could not read');
    return reply(message, { error: error.message });
  }
  const logger = jobLogger(deps.logger, job);
  try {
    reply(message, { grade: await gradeJob(deps, job, logger) });
  } catch (error) {
    logger.warn({ err: error }, 'could not regrade');
    reply(message, { error: `could not grade: ${error instanceof Error ? error.message : String(error)}` });
  }
}

function reply(message: Msg, answer: RegradeReply): void {
  if (message.reply) message.respond(encode(answer));
}
