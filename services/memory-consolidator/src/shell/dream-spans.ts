import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Tracer } from '@opentelemetry/api';
import type { DreamJob, DreamRun } from '@signalbox/events';
import { contextOfTraceparent } from '@signalbox/runtime';

/** What a dream job's span reads of its message: a `traceparent` header (whoever scheduled it) and the delivery. */
export interface TracedMessage {
  headers?: { get(name: string): string } | undefined;
  info: { deliveryCount: number };
}

/**
 * Runs a dream job inside its span, `consolidate_memory <store>`: a child of the span its message's
 * `traceparent` names, else a trace of its own (a schedule's job names none). The model call hangs
 * under it (`run` is given its context). Ids and counts only: no transcript or memory reaches it.
 */
export async function withDreamSpan(tracer: Tracer | undefined, job: DreamJob, message: TracedMessage, run: (context: Context) => Promise<DreamRun>): Promise<DreamRun> {
  if (tracer === undefined) return run(ROOT_CONTEXT);
  const parent = contextOfTraceparent(message.headers?.get('traceparent') || undefined);
  const attributes = { 'signalbox.memory.store': job.store, 'signalbox.dream.job_id': job.jobId, 'signalbox.delivery': message.info.deliveryCount };
  const span = tracer.startSpan(`consolidate_memory ${job.store}`, { kind: SpanKind.CONSUMER, attributes }, parent);
  try {
    const done = await run(trace.setSpan(ROOT_CONTEXT, span));
    span.setAttributes({ 'signalbox.dream.status': done.status, 'signalbox.dream.sessions': done.sessions, 'signalbox.dream.versions': done.versions.length });
    if (done.status === 'failed') span.setStatus({ code: SpanStatusCode.ERROR, message: 'dream_failed' });
    return done;
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
    throw error;
  } finally {
    span.end();
  }
}
