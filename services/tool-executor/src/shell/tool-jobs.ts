import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { assertNever, encode, isSubjectToken, toolCallResult, ToolJob, type Naming, type ToolResult } from '@signalbox/events';
import { decodeDeadLettered, decodeWork, positionOf, Rejection, type Logger, type RuntimeMetrics } from '@signalbox/runtime';
import { checkGrant } from '@signalbox/policy';
import type { WorkspaceFiles } from '@signalbox/store';
import { ROOT_CONTEXT, SpanStatusCode, trace, type Context, type Tracer } from '@opentelemetry/api';
import { startJobSpan } from './job-spans.ts';
import { execute, type ToolCatalogue } from './execute.ts';
import { deadLetterAnswer, planExecution, type DeadLetterAnswer, type ExecutionPlan, type LedgerEntry } from '../core/execution-plan.ts';
import { InvalidLedgerEntryError, type LedgerRecord, type ToolLedger } from './ledger.ts';
import type { RunningCalls } from './running-calls.ts';
import type { OutputKeeper } from './whole-outputs.ts';
import { callWorkspace } from './workspace.ts';
import type { WorkspaceViews } from './workspace-views.ts';

/** What handling tool jobs needs from the executor process. */
export interface ToolJobDeps {
  js: JetStreamClient;
  names: Naming;
  logger: Logger;
  tools: ToolCatalogue;
  /** Every run's workspace files, with their history. */
  workspaceFiles: WorkspaceFiles;
  /** Which writes each run sees (its own, then what it was forked from). */
  workspaceViews: WorkspaceViews;
  /** Where outputs too long for a result are kept whole. */
  outputs: OutputKeeper;
  ledger: ToolLedger;
  /** The brokers whose grants a job must carry; empty: every job runs. */
  grantSigners: ReadonlySet<string>;
  /** Opens a vault secret; used only for calls whose grant was checked, and only for secrets it names. */
  openSecret?: (name: string) => Promise<string>;
  instance: string;
  now: () => number;
  /** The calls running here, by session, which an interrupt of their session stops. */
  running: RunningCalls;
  /** Where the calls this executor runs are counted and timed. */
  metrics?: RuntimeMetrics;
  /** Traces each job, as a child of the span its `traceparent` header names; undefined: no spans. */
  tracer?: Tracer;
  /** The job's span, for the tool's outgoing requests (set per job). */
  traceContext?: Context;
}

/** Another delivery holds a live claim on the call: this one is retried later and then finds the result. */
export class CallInFlightError extends Error {
  override readonly name = 'CallInFlightError';
  readonly code = 'call_in_flight';
}

/** The call's ledger entry changed under this delivery on every attempt: retry it later. */
export class LedgerContentionError extends Error {
  override readonly name = 'LedgerContentionError';
  readonly code = 'ledger_contention';
  constructor(idempotencyKey: string) {
    super(`the tool ledger entry of ${idempotencyKey} kept changing; will retry`);
  }
}

/** Reads of the ledger per delivery before giving up on a call whose entry keeps changing. */
const maxLedgerRounds = 3;

/**
 * Answers one tool job: from the ledger if the call already finished, otherwise by running it (claimed
 * first when it must not run twice). Resolves once the result is in the session's inbox, so the job
 * is acked after that, never before.
 */
export async function handleToolJob(deps: ToolJobDeps, message: JsMsg): Promise<void> {
  const job = decodeWork(ToolJob, message, 'tool job');
  refuseUngranted(deps, job);
  noteUnforked(deps, job);
  const parent = { traceparent: message.headers?.get('traceparent') || undefined, delivery: message.info.deliveryCount };
  await underJobSpan(deps, job, parent, (traced) => answerToolJob(traced, job, message), (status) => status);
}

/** Runs `answer` under the job's span when the executor traces, the span marked with how the call went. */
async function underJobSpan<T>(
  deps: ToolJobDeps,
  job: ToolJob,
  parent: { traceparent: string | undefined; delivery: number },
  answer: (deps: ToolJobDeps) => Promise<T>,
  statusOf: (answered: T) => ToolResult['outcome']['status'],
): Promise<T> {
  if (deps.tracer === undefined) return answer(deps);
  const span = startJobSpan(deps.tracer, job, parent);
  try {
    const answered = await answer({ ...deps, traceContext: trace.setSpan(ROOT_CONTEXT, span) });
    const status = statusOf(answered);
    span.setAttribute('signalbox.tool.status', status);
    if (status !== 'completed') span.setStatus({ code: SpanStatusCode.ERROR, message: status });
    return answered;
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
    throw error;
  } finally {
    span.end();
  }
}

/** Answers the job (see `handleToolJob`) and says how its call went. */
async function answerToolJob(deps: ToolJobDeps, job: ToolJob, message: JsMsg): Promise<ToolResult['outcome']['status']> {
  const logger = callLogger(deps.logger, job);
  const jobId = positionOf(message);
  const ran = await runUnlessSeen(deps, job, message, jobId, logger);
  if (ran) {
    logger.info({ status: ran.outcome.status, durationMs: ran.durationMs, plan: 'run' }, 'tool call answered');
    countRun(deps, ran);
    return ran.outcome.status;
  }
  for (let round = 0; round < maxLedgerRounds; round += 1) {
    const record = await readLedger(deps, job);
    const plan = planExecution(record?.entry, planningContext(deps, job, jobId));
    const result = await carryOut(deps, job, plan, record, jobId, logger);
    if (result === undefined) continue; // another delivery wrote the entry first: read it again
    if (plan.action !== 'run') await sendResult(deps, job, result);
    else countRun(deps, result);
    logger.info({ status: result.outcome.status, durationMs: result.durationMs, plan: plan.action }, 'tool call answered');
    return result.outcome.status;
  }
  throw new LedgerContentionError(job.idempotencyKey);
}

/**
 * Most calls are new, so they are run before the ledger is read. One safe to run twice runs at once
 * when this is the first delivery of its first dispatch (the key cannot have run yet); one that
 * must not run twice is claimed first. Undefined when the ledger must be read to know what to do.
 */
async function runUnlessSeen(deps: ToolJobDeps, job: ToolJob, message: JsMsg, jobId: string, logger: Logger): Promise<ToolResult | undefined> {
  if (isIdempotent(deps, job)) {
    return job.firstDispatch && message.info.deliveryCount === 1 ? runAndRecord(deps, job, undefined, logger) : undefined;
  }
  const claimed = await deps.ledger.write(claimOf(deps, job, jobId), undefined);
  return claimed === undefined ? undefined : runAndRecord(deps, job, claimed, logger);
}

function claimOf(deps: ToolJobDeps, job: ToolJob, jobId: string): LedgerEntry {
  return { state: 'started', idempotencyKey: job.idempotencyKey, job: jobId, instance: deps.instance, at: deps.now() };
}

/** The call's result, or undefined when the ledger write lost a race. */
async function carryOut(
  deps: ToolJobDeps,
  job: ToolJob,
  plan: ExecutionPlan,
  record: LedgerRecord | undefined,
  jobId: string,
  logger: Logger,
): Promise<ToolResult | undefined> {
  switch (plan.action) {
    case 'replay':
      // Recorded for the job that ran the call; a fork dispatching its copy of the call (same key) gets it too, as its own.
      return { ...plan.result, sessionId: job.sessionId, callId: job.callId };
    case 'wait':
      throw new CallInFlightError(plan.reason);
    case 'unknown': {
      const result = toolCallResult(job, { status: 'unknown', reason: plan.reason });
      logger.warn('a non-idempotent call was cut off mid-run; answering outcome unknown');
      return (await deps.ledger.write(finished(deps, result, job), record?.revision)) === undefined ? undefined : result;
    }
    case 'run': {
      if (plan.rerun) logger.warn('running again an idempotent call whose earlier run was cut off');
      // Running twice is harmless for an idempotent call, so it needs no claim; its result is recorded all the same.
      if (isIdempotent(deps, job)) return runAndRecord(deps, job, record?.revision, logger);
      const revision = await deps.ledger.write(claimOf(deps, job, jobId), record?.revision);
      if (revision === undefined) return undefined;
      return runAndRecord(deps, job, revision, logger);
    }
    default:
      return assertNever(plan);
  }
}

/** Runs the call, sends its result and records it over the ledger entry at `revision` (a new entry when undefined). */
async function runAndRecord(deps: ToolJobDeps, job: ToolJob, revision: number | undefined, logger: Logger): Promise<ToolResult> {
  const result = await run(deps, job, logger);
  // Both writes start in one turn, so they leave in one socket write. The session does not wait on the
  // ledger: the job is acked only once both are done.
  await Promise.all([recordInLedger(deps, job, result, revision, logger), sendResult(deps, job, result)]);
  return result;
}

/**
 * Runs a job for a session actor of this process (`InProcessTools`), when it is the first dispatch of
 * a call of a tool here that is safe to run twice: the case `runUnlessSeen` runs without reading the
 * ledger. The ledger is written as for any job (`recordings` holds the write until it is done); the
 * result is returned, not sent. Undefined for every other job, which goes over NATS: a re-dispatch is
 * answered from the ledger there, a call that must not run twice is claimed there, and a job whose
 * grant does not check is dead-lettered there with the reason.
 */
export function runInProcess(deps: ToolJobDeps, job: ToolJob, traceparent: string | undefined, recordings: Set<Promise<void>>): Promise<ToolResult> | undefined {
  if (job.firstDispatch !== true || !deps.tools.has(job.tool) || !isIdempotent(deps, job)) return undefined;
  if (grantRefusal(deps, job) !== undefined) return undefined;
  noteUnforked(deps, job);
  return underJobSpan(deps, job, { traceparent, delivery: 1 }, (traced) => runHere(traced, job, recordings), (result) => result.outcome.status);
}

async function runHere(deps: ToolJobDeps, job: ToolJob, recordings: Set<Promise<void>>): Promise<ToolResult> {
  const logger = callLogger(deps.logger, job);
  const result = await run(deps, job, logger);
  const recording = recordInLedger(deps, job, result, undefined, logger);
  recordings.add(recording);
  void recording.finally(() => recordings.delete(recording));
  logger.info({ status: result.outcome.status, durationMs: result.durationMs, plan: 'in-process' }, 'tool call answered');
  countRun(deps, result);
  return result;
}

/** Runs the call (its ledger entry is written by the caller: `recordInLedger`). */
async function run(deps: ToolJobDeps, job: ToolJob, logger: Logger): Promise<ToolResult> {
  const workspace = callWorkspace(deps.workspaceFiles, await deps.workspaceViews.of(job.correlationId), job.idempotencyKey);
  // `refuseUngranted` (or `runInProcess`) checked the grant when the executor trusts a broker; otherwise nothing did, and
  // an unchecked grant could claim any host or secret: then neither is passed, nor the vault.
  const grant = deps.grantSigners.size > 0 ? job.grant : undefined;
  const vault = grant && deps.openSecret ? { openSecret: deps.openSecret } : {};
  const running = await deps.running.begin(job.sessionId, job.callId);
  const traced = deps.traceContext ? { traceContext: deps.traceContext } : {};
  const environment = { workspace, outputs: deps.outputs, logger, now: deps.now, stopped: running.signal, ...(grant ? { grant } : {}), ...vault, ...traced };
  return execute(deps.tools, job, environment).finally(() => running.end());
}

/** Writes the call's result over its ledger entry at `revision`; never rejects (a failure is logged). */
function recordInLedger(deps: ToolJobDeps, job: ToolJob, result: ToolResult, revision: number | undefined, logger: Logger): Promise<void> {
  return deps.ledger.write(finished(deps, result, job), revision).then(
    (recorded) => {
      if (recorded === undefined) logger.warn('another delivery recorded the call while it ran; sending this result anyway');
    },
    (error: unknown) => {
      // The outcome is known here: deliver it rather than leave a redelivery to call it unknown.
      logger.error({ err: error }, 'could not record the tool result in the ledger');
    },
  );
}

/**
 * Tells the session about a job that was dead-lettered, so it goes on instead of waiting for a result
 * that will never come. A job that cannot be decoded names no session: it stays in the dead-letter stream.
 */
export async function answerDeadToolJob(deps: ToolJobDeps, message: JsMsg, reason: string): Promise<void> {
  const job = decodeDeadLettered(ToolJob, message, 'tool job', deps.logger);
  if (!job) return;
  const logger = callLogger(deps.logger, job);
  for (let round = 0; round < maxLedgerRounds; round += 1) {
    let record: LedgerRecord | undefined;
    try {
      record = await readLedger(deps, job);
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      // An unreadable ledger cannot say whether the tool ran.
      return sendResult(deps, job, toolCallResult(job, { status: 'unknown', reason: `the call's ledger entry is unreadable: ${reason}` }));
    }
    const answer = deadLetterAnswer(planExecution(record?.entry, planningContext(deps, job, positionOf(message))), reason);
    if (await sendDeadLetterAnswer(deps, job, answer, record, logger)) return;
  }
  throw new LedgerContentionError(job.idempotencyKey);
}

/** False when the ledger changed before the answer could be recorded. */
async function sendDeadLetterAnswer(deps: ToolJobDeps, job: ToolJob, answer: DeadLetterAnswer, record: LedgerRecord | undefined, logger: Logger): Promise<boolean> {
  switch (answer.send) {
    case 'nothing':
      logger.info({ why: answer.why }, 'dead-lettered a duplicate of a running call; that run will answer');
      return true;
    case 'recorded':
      try {
        await sendResult(deps, job, answer.result);
      } catch (error) {
        logger.warn({ err: error }, 'the recorded result cannot be delivered; sending a failure instead');
        await sendResult(deps, job, toolCallResult(job, answer.fallback));
      }
      return true;
    case 'outcome': {
      const result = toolCallResult(job, answer.outcome);
      // Recorded, so that a later re-dispatch answers the same and never runs what the model was told failed.
      if ((await deps.ledger.write(finished(deps, result, job), record?.revision)) === undefined) return false;
      await sendResult(deps, job, result);
      logger.warn({ status: result.outcome.status }, 'answered a dead-lettered tool job');
      return true;
    }
    default:
      return assertNever(answer);
  }
}

async function readLedger(deps: ToolJobDeps, job: ToolJob): Promise<LedgerRecord | undefined> {
  try {
    return await deps.ledger.read(job.idempotencyKey);
  } catch (error) {
    if (error instanceof InvalidLedgerEntryError) throw new Rejection(error.message, { cause: error });
    throw error;
  }
}

function planningContext(deps: ToolJobDeps, job: ToolJob, jobId: string) {
  const tool = deps.tools.get(job.tool);
  return { job: jobId, now: deps.now(), tool: { name: job.tool, idempotent: isIdempotent(deps, job), timeoutMs: tool?.timeoutMs ?? 0 } };
}

/** A call this executor ran (not one answered from the ledger): counted by tool and status, and timed. */
function countRun(deps: ToolJobDeps, result: ToolResult): void {
  deps.metrics?.toolCalls.inc({ tool: result.tool, status: result.outcome.status });
  deps.metrics?.toolCallSeconds.observe({ tool: result.tool }, result.durationMs / 1_000);
}

/** A tool this executor does not have runs nothing, so answering that again is always safe. */
function isIdempotent(deps: ToolJobDeps, job: ToolJob): boolean {
  return deps.tools.get(job.tool)?.idempotent ?? true;
}

function finished(deps: ToolJobDeps, result: ToolResult, job: ToolJob): LedgerEntry {
  return { state: 'finished', idempotencyKey: job.idempotencyKey, instance: deps.instance, at: deps.now(), result };
}

async function sendResult(deps: ToolJobDeps, job: ToolJob, result: ToolResult): Promise<void> {
  await deps.js.publish(resultSubject(deps.names, job), encode(result), {
    // However many deliveries answer a call, one result lands (within the stream's duplicate window); a
    // fork's copy of the call, under its origin's key, is another session's call with a result of its own.
    msgID: `${job.sessionId}:${job.idempotencyKey}/result`,
  });
}

/** The dispatching actor's inbox when the job names one for its session, else the session's inbox. */
function resultSubject(names: Naming, job: ToolJob): string {
  const actor = job.replyTo && names.subjects.actorOfInbox(job.replyTo);
  const ownInbox = actor && isSubjectToken(actor) ? names.subjects.actorInbox(job.sessionId, actor) : undefined;
  return ownInbox !== undefined && ownInbox === job.replyTo ? ownInbox : names.subjects.inbox(job.sessionId);
}

// Ids only, never input or error text: a tool's input may carry secrets, and errors may echo it.
function callLogger(logger: Logger, job: ToolJob): Logger {
  // A child costs microseconds (the redaction rules run over its bindings): worth it only when something can be written.
  if (logger.level === 'silent') return logger;
  return logger.child({ sessionId: job.sessionId, correlationId: job.correlationId, callId: job.callId, tool: job.tool });
}

/**
 * An executor that trusts a permission broker runs only the jobs it granted: one published around the
 * session actor, replayed after its grant expired, or with its input altered is refused, which
 * dead-letters it with the reason.
 */
function refuseUngranted(deps: ToolJobDeps, job: ToolJob): void {
  const refusal = grantRefusal(deps, job);
  if (refusal !== undefined) throw new Rejection(`${job.tool} call ${job.callId} of session ${job.sessionId} refused: ${refusal}`);
}

/** A job whose actor says its run is no fork (after its grant checked): the run's calls see its own writes, without a read of its first event. */
function noteUnforked(deps: ToolJobDeps, job: ToolJob): void {
  if (job.unforkedRun) deps.workspaceViews.unforked(job.correlationId);
}

/** Why the job's grant does not check, when the executor trusts a broker; undefined when it runs. */
function grantRefusal(deps: ToolJobDeps, job: ToolJob): string | undefined {
  if (deps.grantSigners.size === 0) return undefined;
  const check = checkGrant(job.grant, job, deps.grantSigners, deps.now());
  return check.ok ? undefined : check.reason;
}
