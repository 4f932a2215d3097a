import type { JsMsg } from '@nats-io/jetstream';
import { SpanKind, type Span, type Tracer } from '@opentelemetry/api';
import type { ToolJob } from '@signalbox/events';
import { contextOfTraceparent } from '@signalbox/runtime';

/**
 * The executor's span of a job: a child of the actor's tool-call span, whose context the job carries in
 * its `traceparent` header (a job without one, or with one that does not parse, starts a trace of its own).
 * Named for the tool, never its input: no content reaches a span.
 */
export function startJobSpan(tracer: Tracer, job: ToolJob, message: JsMsg): Span {
  const parent = contextOfTraceparent(message.headers?.get('traceparent') || undefined);
  const attributes = {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': job.tool,
    'gen_ai.tool.call.id': job.callId,
    'signalbox.session.id': job.sessionId,
    'signalbox.correlation.id': job.correlationId,
    'signalbox.delivery': message.info.deliveryCount,
  };
  return tracer.startSpan(`run_tool ${job.tool}`, { kind: SpanKind.CONSUMER, attributes }, parent);
}
