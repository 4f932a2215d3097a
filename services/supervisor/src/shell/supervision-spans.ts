import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import type { GateVerdict, InterventionCommand } from '@signalbox/events';
import { contextOfTraceparent, traceparentOf } from '@signalbox/runtime';

/** What became of one gate request: what its span says. */
export type GateOutcome =
  | { kind: 'unreadable' }
  | { kind: 'refused'; sessionId: string; head: number }
  | { kind: 'unfolded'; sessionId: string; head: number }
  | { kind: 'answered'; sessionId: string; head: number; verdicts: readonly GateVerdict[]; modelCall: boolean };

/**
 * A gate request's span, `supervise_gate`, under the actor's step or model call whose context the
 * request carries (one without: a trace of its own), ended with what became of the request.
 */
export async function traceGate(tracer: Tracer | undefined, traceparent: string | undefined, answer: () => Promise<GateOutcome>): Promise<void> {
  if (tracer === undefined) {
    await answer();
    return;
  }
  const span = tracer.startSpan('supervise_gate', { kind: SpanKind.SERVER }, contextOfTraceparent(traceparent));
  try {
    describeGate(span, await answer());
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
    throw error;
  } finally {
    span.end();
  }
}

/** Ids, counts, verdicts and detectors only: a verdict's reason is the model's to read, not the trace's. */
function describeGate(span: Span, outcome: GateOutcome): void {
  if (outcome.kind === 'unreadable') {
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'unreadable_request' });
    return;
  }
  span.setAttributes({ 'signalbox.session.id': outcome.sessionId, 'signalbox.gate.head': outcome.head });
  if (outcome.kind !== 'answered') {
    span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.kind === 'refused' ? 'too_many_waiting' : 'not_folded_in_time' });
    return;
  }
  const stopped = outcome.verdicts.filter(({ verdict }) => verdict !== 'proceed');
  span.setAttributes({
    'signalbox.gate.calls': outcome.verdicts.length,
    'signalbox.gate.model_call': outcome.modelCall,
    'signalbox.gate.verdicts': [...new Set(outcome.verdicts.map(({ verdict }) => verdict))].sort(),
    'signalbox.gate.detectors': [...new Set(stopped.flatMap(({ detector }) => (detector ? [detector] : [])))].sort(),
  });
}

/** What set an intervention off: the event the supervisor was reading, or the one that armed a stalled timer (its `traceparent` only). */
export interface InterventionCause {
  traceparent?: string | undefined;
  correlationId?: string;
}

/**
 * An intervention's span, `intervene <detector>`, under the span of the event that set it off, so it sits in
 * the session's trace where the finding was made. `send` gets its `traceparent`, which the message carries:
 * a turn the intervention starts hangs under it. Marked when the server dropped the send as a duplicate
 * (a replica sending again what another sent before it crashed).
 */
export async function traceIntervention(
  tracer: Tracer | undefined,
  cause: InterventionCause,
  command: InterventionCommand,
  send: (traceparent: string | undefined) => Promise<{ duplicate: boolean }>,
): Promise<void> {
  if (tracer === undefined) {
    await send(undefined);
    return;
  }
  const attributes = {
    'signalbox.session.id': command.sessionId,
    ...(cause.correlationId === undefined ? {} : { 'signalbox.correlation.id': cause.correlationId }),
    'signalbox.supervisor.detector': command.detector,
    'signalbox.supervisor.action': command.action,
    'signalbox.supervisor.evidence': command.evidence,
  };
  const span = tracer.startSpan(`intervene ${command.detector}`, { kind: SpanKind.PRODUCER, attributes }, contextOfTraceparent(cause.traceparent));
  try {
    const { duplicate } = await send(traceparentOf(span.spanContext()));
    if (duplicate) span.setAttribute('signalbox.supervisor.duplicate', true);
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
    throw error;
  } finally {
    span.end();
  }
}
