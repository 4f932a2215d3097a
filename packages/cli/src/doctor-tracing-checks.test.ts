import { describe, expect, it } from 'vitest';
import { tracingFindings } from './doctor-tracing-checks.ts';

describe('doctor on tracing', () => {
  it('says traces are off without an endpoint, and where they go with one', () => {
    expect(tracingFindings({})).toEqual([{ level: 'ok', message: 'traces are off: set OTEL_EXPORTER_OTLP_ENDPOINT to export them by OTLP' }]);
    expect(tracingFindings({ endpoint: 'http://collector:4318/', serviceName: 'signalbox' })).toEqual([
      { level: 'ok', message: 'traces are exported by OTLP/HTTP (JSON) to http://collector:4318/v1/traces, as signalbox' },
    ]);
    expect(tracingFindings({ endpoint: 'http://a:4318', tracesEndpoint: 'https://b.example/otlp/traces' })[0]?.message).toContain('https://b.example/otlp/traces, each process named for its service (signalbox when it runs several)');
  });

  it('warns of an endpoint that is not http(s), naming its variable, and of the gRPC port', () => {
    expect(tracingFindings({ endpoint: 'grpc://collector:4317' })).toEqual([
      { level: 'warn', message: 'OTEL_EXPORTER_OTLP_ENDPOINT is grpc://collector:4317, not http(s): no process exports traces. Signalbox speaks OTLP over HTTP (JSON), usually on port 4318' },
    ]);
    expect(tracingFindings({ endpoint: 'http://collector:4317' }).map((finding) => finding.level)).toEqual(['ok', 'warn']);
  });

  it('masks credentials in the URL', () => {
    expect(JSON.stringify(tracingFindings({ tracesEndpoint: 'https://user:hunter2@collector/v1/traces' }))).not.toContain('hunter2');
  });
});
