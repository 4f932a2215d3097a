import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { GradeJob, type GradeCommand, type Naming } from '@signalbox/events';
import { contextOfTraceparent, decodeDeadLettered, decodeWork, sendToSession, type Logger } from '@signalbox/runtime';
import type { WorkspaceFiles } from '@signalbox/store';
import { problemGrade } from '../core/combine.ts';
import { gradeSubmission, type GradingPorts } from '../core/grade.ts';
import { readSubmittedFiles } from './submitted-files.ts';

/** What grading a job needs from the grader process. */
export interface GradeDeps {
  nc: NatsConnection;
  names: Naming;
  logger: Logger;
  /** The runs' workspaces, read only: the grader reads the submitted files and nothing of the log. */
  workspace: WorkspaceFiles;
  /** The function graders and the grader model a job names; the model's calls traced under `traceContext` when there is one. */
  ports: (job: GradeJob, traceContext?: Context) => GradingPorts;
  /** Traces each job, as a child of the actor's grading span its `traceparent` header names; undefined: no spans. */
  tracer?: Tracer;
}

/** Grades a job: its files read from the run's workspace, then every grader of its outcome, then their combination. */
export async function gradeJob(deps: GradeDeps, job: GradeJob, logger: Logger, traceContext?: Context): Promise<GradeCommand> {
  const files = await readSubmittedFiles(deps.workspace, job.correlationId, job.files, job.inherited);
  const started = Date.now();
  const grade = await gradeSubmission(job, files, deps.ports(job, traceContext));
  // Ids, scores and reasons of the graders, never the output text.
  const outcome = { attempt: job.attempt, passed: grade.passed, score: grade.score, costUsd: grade.costUsd, durationMs: Date.now() - started };
  if (grade.problem) logger.warn({ ...outcome, problem: grade.problem }, 'could not grade the outcome; the session pauses with the problem');
  else logger.info({ ...outcome, graders: grade.graders.map(({ name, passed }) => ({ name, passed })) }, 'graded');
  return grade;
}

/**
 * Answers one grade job from `sbx.jobs.grade`: resolves once the grade is in the session's grader
 * subject and JetStream acknowledged it, so the job is acked only after that. A job that cannot be
 * read is a Rejection, which dead-letters it with the reason.
 */
export async function handleGradeJob(deps: GradeDeps, message: JsMsg): Promise<void> {
  const job = decodeWork(GradeJob, message, 'grade job');
  const span = deps.tracer && startGradeSpan(deps.tracer, job, message);
  try {
    const grade = await gradeJob(deps, job, jobLogger(deps.logger, job), span && trace.setSpan(ROOT_CONTEXT, span));
    span?.setAttributes({ 'signalbox.outcome.passed': grade.passed, 'signalbox.outcome.score': grade.score, 'signalbox.cost_usd': grade.costUsd });
    if (grade.problem) span?.setStatus({ code: SpanStatusCode.ERROR, message: 'grade_problem' });
    await sendGrade(deps, grade, gradeMessageId(job, message));
  } catch (error) {
    span?.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
    throw error;
  } finally {
    span?.end();
  }
}

/**
 * The grader's span of a job: a child of the actor's span of the attempt's grading, whose context the
 * job carries in its `traceparent` header (without one, a trace of its own). Ids and the verdict's
 * figures only: no output, file or reason reaches it.
 */
function startGradeSpan(tracer: Tracer, job: GradeJob, message: JsMsg): Span {
  const parent = contextOfTraceparent(message.headers?.get('traceparent') || undefined);
  const attributes = {
    'signalbox.session.id': job.sessionId,
    'signalbox.correlation.id': job.correlationId,
    'signalbox.outcome.attempt': job.attempt,
    'signalbox.delivery': message.info.deliveryCount,
  };
  return tracer.startSpan('run_grader', { kind: SpanKind.CONSUMER, attributes }, parent);
}

/**
 * The grade's message id: the job's own (`grade/<sessionId>/<attempt>`, with `/<round>` when the
 * actor sends an attempt again after a grade with a problem), so however many deliveries grade one
 * job, one grade lands, and a job sent again gets a grade of its own. The job's stream sequence
 * stands in for an id the job came without.
 */
export function gradeMessageId(job: GradeJob, message: Pick<JsMsg, 'headers' | 'seq'>): string {
  return message.headers?.get('Nats-Msg-Id') || `grade/${job.sessionId}/${job.attempt}/seq-${message.seq}`;
}

/** Tells the session a grade job was dead-lettered (it kept failing: the model's provider down, say), so it pauses instead of waiting. */
export async function answerDeadGradeJob(deps: GradeDeps, message: JsMsg, reason: string): Promise<void> {
  const job = decodeDeadLettered(GradeJob, message, 'grade job', deps.logger);
  if (!job) return;
  jobLogger(deps.logger, job).warn({ attempt: job.attempt, reason }, 'grade job dead-lettered; telling the session');
  await sendGrade(deps, problemGrade(job, `the grade job was dead-lettered: ${reason}`, [], undefined), gradeMessageId(job, message));
}

async function sendGrade(deps: GradeDeps, grade: GradeCommand, messageId: string): Promise<void> {
  // To the session's grader subject, validated first. Resolves once JetStream has stored it.
  await sendToSession(deps.nc, deps.names, grade.sessionId, grade, { messageId });
}

export function jobLogger(logger: Logger, job: GradeJob): Logger {
  if (logger.level === 'silent') return logger;
  return logger.child({ sessionId: job.sessionId, correlationId: job.correlationId, attempt: job.attempt });
}
