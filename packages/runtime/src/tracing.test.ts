import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { configFromEnv, maskedConfig } from './config.ts';
import { contextOfTraceparent, startTracing, traceHeadersOf, traceparentOf, tracesUrl } from './tracing.ts';
import { trace } from '@opentelemetry/api';

/** Keeps what it is given, or fails every export (a collector that is gone). */
function exporter(fails = false): SpanExporter & { spans: ReadableSpan[] } {
  const spans: ReadableSpan[] = [];
  return {
    spans,
    export: (batch: ReadableSpan[], done: (result: ExportResult) => void) => {
      if (fails) {
        done({ code: ExportResultCode.FAILED, error: new Error('connect ECONNREFUSED 127.0.0.1:9') });
        return;
      }
      spans.push(...batch);
      done({ code: ExportResultCode.SUCCESS });
    },
    shutdown: () => Promise.resolve(),
  };
}

const process = { services: ['session-actor'], instance: 'test-1' };

describe('tracing settings', () => {
  it('reads the OpenTelemetry variables, and exports to <endpoint>/v1/traces unless the traces URL is given whole', () => {
    const config = configFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/', OTEL_SERVICE_NAME: 'signalbox' });
    expect(config.tracing).toEqual({ endpoint: 'http://collector:4318/', serviceName: 'signalbox' });
    expect(tracesUrl(config.tracing)).toBe('http://collector:4318/v1/traces');
    expect(tracesUrl({ endpoint: 'http://a:4318', tracesEndpoint: 'https://b/otlp' })).toBe('https://b/otlp');
    expect(tracesUrl({})).toBeUndefined();
    expect(tracesUrl({ endpoint: 'grpc://collector:4317' })).toBeUndefined();
  });

  it('refuses an endpoint that is no URL, naming its variable, and masks credentials when the config is shown', () => {
    expect(() => configFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    const shown = JSON.stringify(maskedConfig(configFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:hunter2@collector' })));
    expect(shown).not.toContain('hunter2');
  });
});

describe('startTracing', () => {
  it('starts nothing without an http(s) endpoint', () => {
    expect(startTracing({}, process)).toBeUndefined();
    expect(startTracing({ endpoint: 'grpc://collector:4317' }, process)).toBeUndefined();
  });

  it("exports ended spans, named for the process, by its stop; their context goes out as W3C trace headers and comes back", async () => {
    const kept = exporter();
    const tracing = startTracing({ endpoint: 'http://127.0.0.1:9' }, process, kept);
    if (!tracing) throw new Error('no tracing');
    const span = tracing.tracer.startSpan('step');
    const traceparent = traceparentOf(span.spanContext());
    expect(traceparent).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
    expect(trace.getSpanContext(contextOfTraceparent(traceparent))).toMatchObject({ traceId: span.spanContext().traceId, isRemote: true });
    expect(traceHeadersOf(trace.setSpan(contextOfTraceparent(undefined), span))).toEqual({ traceparent });
    span.end();
    await tracing.shutdown();
    expect(kept.spans.map((ended) => [ended.name, ended.resource.attributes['service.name'], ended.resource.attributes['service.instance.id']])).toEqual([['step', 'session-actor', 'test-1']]);
  });

  it('names a process of several services signalbox, listing them, unless OTEL_SERVICE_NAME says otherwise', async () => {
    const kept = exporter();
    const tracing = startTracing({ endpoint: 'http://127.0.0.1:9' }, { services: ['session-actor', 'tool-executor'], instance: 'up-1' }, kept);
    tracing?.tracer.startSpan('step').end();
    await tracing?.shutdown();
    expect(kept.spans[0]?.resource.attributes).toMatchObject({ 'service.name': 'signalbox', 'signalbox.services': 'session-actor,tool-executor' });
  });

  it('loses spans, never a caller, when the collector is gone', async () => {
    const tracing = startTracing({ endpoint: 'http://127.0.0.1:9', serviceName: 'signalbox' }, process, exporter(true));
    if (!tracing) throw new Error('no tracing');
    for (let index = 0; index < 10_000; index += 1) tracing.tracer.startSpan('step').end();
    await expect(tracing.shutdown()).resolves.toBeUndefined();
  });

  it("reads a traceparent that does not parse as no parent", () => {
    expect(trace.getSpanContext(contextOfTraceparent('00-zz-1-01'))).toBeUndefined();
    expect(trace.getSpanContext(contextOfTraceparent(`00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`))).toBeUndefined();
  });
});
