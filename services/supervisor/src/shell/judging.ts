import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import type { SessionEvent } from '@signalbox/events';
import { contextOfTraceparent, sendToSession, tracedModel, traceparentOf, type ServiceContext } from '@signalbox/runtime';
import { judgeRequest, readVerdict, renderTrajectory, type JudgeCall } from '@signalbox/supervision';
import type { JudgeModels } from './judge-models.ts';

/** The host's connection, names, log, logger and traces, and the judges' models. */
export interface JudgingDeps extends Pick<ServiceContext, 'nc' | 'names' | 'store' | 'logger' | 'tracing'> {
  models: JudgeModels;
  /** Judge calls in flight at once, across all sessions. */
  concurrency: number;
  /** How long one call may take before it is given up (and asked again at the next trigger). */
  deadlineMs: number;
  /** Sessions waiting for a free call at most; past it a judgement is dropped until the next trigger. */
  maxWaiting: number;
}

export interface Judging {
  /** Judge the session up to `call.upTo` when a call is free; returns at once. */
  request(sessionId: string, call: JudgeCall): void;
  /** Forgets a session that completed: its count of failed calls. */
  forget(sessionId: string): void;
  /** Gives up the calls in flight and waits for them to end. */
  stop(): Promise<void>;
}

/**
 * The judge's model calls, made off the event handler: a call takes seconds, and the event handler
 * must go on watching every other session meanwhile (and this session's other detectors). At most
 * `concurrency` calls run at once and one per session; a session already judged or waiting is not
 * asked about twice (a waiting one is asked about its latest point). A call that fails or passes its
 * deadline is logged and dropped: the session's schedule counts only judgements its log records, so
 * its next trigger (the next model turn, or finding) asks again, and nothing retries in a tight loop.
 * A timed-out call may still be billed, so a session stops being judged after `maxCalls` failed calls.
 */
export function startJudging(deps: JudgingDeps): Judging {
  const running = new Map<string, Promise<void>>();
  const failures = new Map<string, number>();
  const waiting = new Map<string, JudgeCall>();
  const stopping = new AbortController();
  const pump = (): void => {
    for (const [sessionId, call] of waiting) {
      if (running.size >= deps.concurrency) return;
      if (running.has(sessionId)) continue;
      waiting.delete(sessionId);
      const done = judgeOnce(deps, sessionId, call, stopping.signal)
        .catch((error: unknown) => {
          failures.set(sessionId, (failures.get(sessionId) ?? 0) + 1);
          deps.logger.warn({ sessionId, upTo: call.upTo, model: call.plan.model, failures: failures.get(sessionId), err: error }, 'the judge could not judge the session; it is asked again at the next trigger');
        })
        .finally(() => {
          running.delete(sessionId);
          pump();
        });
      running.set(sessionId, done);
    }
  };
  return {
    request(sessionId, call) {
      if (stopping.signal.aborted || running.has(sessionId) || (failures.get(sessionId) ?? 0) >= call.plan.maxCalls) return;
      if (!waiting.has(sessionId) && waiting.size >= deps.maxWaiting) {
        deps.logger.warn({ sessionId, upTo: call.upTo, waiting: waiting.size }, 'too many sessions wait for the judge; this one is judged at its next trigger');
        return;
      }
      waiting.set(sessionId, call);
      pump();
    },
    forget(sessionId) {
      failures.delete(sessionId);
    },
    async stop() {
      waiting.clear();
      stopping.abort();
      await Promise.allSettled(running.values());
    },
  };
}

/**
 * One judgement. Traced, it is a `judge_session` span under the span of the last event it judged (so it
 * sits in the session's trace where it looked), with the model call under it; ids and the verdict only.
 */
async function judgeOnce(deps: JudgingDeps, sessionId: string, call: JudgeCall, stopping: AbortSignal): Promise<void> {
  const events = await deps.store.read(sessionId, { toN: call.upTo });
  const created = events[0];
  if (created?.type !== 'session.created') return;
  const tracer = deps.tracing?.tracer;
  if (tracer === undefined) {
    await judge(deps, call, events, created, stopping, ROOT_CONTEXT);
    return;
  }
  const attributes = { 'signalbox.session.id': sessionId, 'signalbox.judge.up_to': call.upTo, 'signalbox.judge.trigger': call.trigger.kind };
  const span = tracer.startSpan('judge_session', { kind: SpanKind.INTERNAL, attributes }, contextOfTraceparent(events.at(-1)?.traceparent));
  try {
    span.setAttribute('signalbox.judge.verdict', await judge(deps, call, events, created, stopping, trace.setSpan(ROOT_CONTEXT, span)));
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
    throw error;
  } finally {
    span.end();
  }
}

/** The trajectory read from the log, the model asked in its own context, the verdict and its cost sent to the session: the verdict. */
async function judge(deps: JudgingDeps, call: JudgeCall, events: readonly SessionEvent[], created: Extract<SessionEvent, { type: 'session.created' }>, stopping: AbortSignal, traceContext: Context): Promise<string> {
  const { plan, upTo, trigger } = call;
  const sessionId = created.sessionId;
  const model = tracedModel(deps.models(plan.model), deps.tracing?.tracer, traceContext);
  const request = judgeRequest(model.name, {
    goal: created.data.input,
    rubric: plan.rubric ?? created.data.rubric,
    trajectory: renderTrajectory(events.slice(1), plan.maxTrajectoryChars),
    findings: trigger.kind === 'findings' ? trigger.reasons : [],
  });
  const signal = AbortSignal.any([stopping, AbortSignal.timeout(deps.deadlineMs)]);
  const response = await untilAborted(model.provider.complete(request, { signal }), signal, deps.deadlineMs);
  const costUsd = model.costOf(response.usage);
  const verdict = readVerdict(response, upTo);
  if (verdict.verdict === 'unreadable') deps.logger.warn({ sessionId, upTo, model: plan.model, reason: verdict.reason }, 'the judge replied with no verdict; recorded as unreadable, its cost counted');
  const command = { type: 'judgement' as const, sessionId, model: plan.model, upTo, ...verdict, usage: response.usage, costUsd };
  deps.logger.info({ sessionId, upTo, verdict: verdict.verdict, costUsd }, 'judged');
  // The verdict carries the judgement's span: a turn it starts (a nudge's, say) hangs under it.
  const judged = trace.getSpanContext(traceContext);
  const traceparent = judged && traceparentOf(judged);
  await sendToSession(deps.nc, deps.names, sessionId, command, { messageId: `supervisor/${sessionId}/judgement/${upTo}`, traceparent });
  return verdict.verdict;
}

/** `work`, or a rejection when `signal` aborts first: an adapter that ignores the signal cannot hold a call slot past its deadline. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal, deadlineMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(new Error(`the judge's model did not answer within ${deadlineMs} ms, or the supervisor is stopping`));
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort)).catch(() => undefined);
  });
}
