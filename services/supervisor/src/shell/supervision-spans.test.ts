import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { InterventionCommand, SessionEvent } from '@signalbox/events';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { traceGate, traceIntervention } from './supervision-spans.ts';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const stepTraceparent = `00-${traceId}-00f067aa0ba902b7-01`;
const exporter = new InMemorySpanExporter();
const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }).getTracer('test');
const lastSpan = () => exporter.getFinishedSpans().at(-1);

beforeAll(() => {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});

describe("the gate's span", () => {
  it('hangs under the span the request carries, with the verdicts and the detectors that stopped calls, never their reasons', async () => {
    const verdicts = [
      { callId: 'c1', verdict: 'proceed' as const },
      { callId: 'c2', verdict: 'block' as const, detector: 'repetition' as const, reason: 'the same lookup a third time: secret-ish detail', evidence: [4, 8] },
    ];
    await traceGate(tracer, stepTraceparent, async () => ({ kind: 'answered', sessionId: 's1', head: 9, verdicts, modelCall: false }));
    const span = lastSpan();
    expect(span?.name).toBe('supervise_gate');
    expect(span?.spanContext().traceId).toBe(traceId);
    expect(span?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(span?.attributes).toEqual({
      'signalbox.session.id': 's1',
      'signalbox.gate.head': 9,
      'signalbox.gate.calls': 2,
      'signalbox.gate.model_call': false,
      'signalbox.gate.verdicts': ['block', 'proceed'],
      'signalbox.gate.detectors': ['repetition'],
    });
    expect(span?.status.code).toBe(0);
  });

  it('marks a request it could not read, refused or could not answer in time as an error, in a trace of its own when the traceparent is garbage', async () => {
    await traceGate(tracer, `00-${'z'.repeat(5_000)}-01`, async () => ({ kind: 'unreadable' }));
    expect(lastSpan()).toMatchObject({ parentSpanContext: undefined, status: { code: 2, message: 'unreadable_request' }, attributes: {} });
    await traceGate(tracer, undefined, async () => ({ kind: 'refused', sessionId: 's2', head: 3 }));
    expect(lastSpan()).toMatchObject({ status: { code: 2, message: 'too_many_waiting' }, attributes: { 'signalbox.session.id': 's2', 'signalbox.gate.head': 3 } });
    await traceGate(tracer, stepTraceparent, async () => ({ kind: 'unfolded', sessionId: 's3', head: 5 }));
    expect(lastSpan()?.status).toMatchObject({ code: 2, message: 'not_folded_in_time' });
  });

  it('ends its span as an error when answering throws, and throws on; with no tracer it only answers', async () => {
    await expect(traceGate(tracer, stepTraceparent, () => Promise.reject(new TypeError('boom')))).rejects.toThrow('boom');
    expect(lastSpan()?.status).toMatchObject({ code: 2, message: 'TypeError' });
    const finished = exporter.getFinishedSpans().length;
    const answer = vi.fn(async () => ({ kind: 'unreadable' as const }));
    await traceGate(undefined, stepTraceparent, answer);
    expect(answer).toHaveBeenCalledOnce();
    expect(exporter.getFinishedSpans()).toHaveLength(finished);
  });
});

describe("an intervention's span", () => {
  const cause = { sessionId: 's1', n: 8, correlationId: 'corr-1', traceparent: stepTraceparent } as SessionEvent;
  const command: InterventionCommand = { type: 'intervention', sessionId: 's1', detector: 'repetition', action: 'nudge', message: 'You have looked this up three times.', evidence: [4, 6, 8] };

  it('hangs under the event that set it off, and the message sent carries the span', async () => {
    const send = vi.fn(async (_traceparent: string | undefined) => ({ duplicate: false }));
    await traceIntervention(tracer, cause, command, send);
    const span = lastSpan();
    expect(span?.name).toBe('intervene repetition');
    expect(span?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(send).toHaveBeenCalledWith(`00-${traceId}-${span?.spanContext().spanId}-01`);
    expect(span?.attributes).toEqual({
      'signalbox.session.id': 's1',
      'signalbox.correlation.id': 'corr-1',
      'signalbox.supervisor.detector': 'repetition',
      'signalbox.supervisor.action': 'nudge',
      'signalbox.supervisor.evidence': [4, 6, 8],
    });
    expect(JSON.stringify(span?.attributes)).not.toContain('three times');
  });

  it('says when the server dropped the send as a duplicate, and marks a failed send as an error and throws on', async () => {
    await traceIntervention(tracer, cause, command, async () => ({ duplicate: true }));
    expect(lastSpan()?.attributes['signalbox.supervisor.duplicate']).toBe(true);
    await expect(traceIntervention(tracer, cause, command, () => Promise.reject(new Error('no stream')))).rejects.toThrow('no stream');
    expect(lastSpan()?.status.code).toBe(2);
  });

  it('sends with no traceparent when nothing traces, and starts no span', async () => {
    const finished = exporter.getFinishedSpans().length;
    const send = vi.fn(async (_traceparent: string | undefined) => ({ duplicate: false }));
    await traceIntervention(undefined, cause, command, send);
    expect(send).toHaveBeenCalledWith(undefined);
    expect(exporter.getFinishedSpans()).toHaveLength(finished);
  });
});
