import { SpanKind, type Span, type Tracer } from '@opentelemetry/api';
import type { ToolJob } from '@signalbox/events';
import { contextOfTraceparent } from '@signalbox/runtime';

/**
 * The executor's span of a job: a child of the actor's tool-call span, whose context the job carries in
 * its `traceparent` header, or was handed with in this process (without one, or with one that does not parse, it starts a trace of its own).
 * Named for the tool, never its input: no content reaches a span.
 */
export function startJobSpan(tracer: Tracer, job: ToolJob, { traceparent, delivery }: { traceparent: string | undefined; delivery: number }): Span {
  const parent = contextOfTraceparent(traceparent);
  const attributes = {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': job.tool,
    'gen_ai.tool.call.id': job.callId,
    'signalbox.session.id': job.sessionId,
    'signalbox.correlation.id': job.correlationId,
    'signalbox.delivery': delivery,
  };
  return tracer.startSpan(`run_tool ${job.tool}`, { kind: SpanKind.CONSUMER, attributes }, parent);
}
