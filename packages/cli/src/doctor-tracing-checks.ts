import { maskUrlsIn, tracesUrl, type TracingSettings } from '@signalbox/runtime';
import type { Finding } from './doctor-checks.ts';

/** OTLP/gRPC's usual port: an endpoint on it most likely takes no OTLP/HTTP. */
const grpcPort = '4317';

/** Whether the processes this environment starts export traces, and where; an endpoint they cannot use is a warning. */
export function tracingFindings(settings: TracingSettings): Finding[] {
  const given = settings.tracesEndpoint ?? settings.endpoint;
  if (given === undefined) return [{ level: 'ok', message: 'traces are off: set OTEL_EXPORTER_OTLP_ENDPOINT to export them by OTLP' }];
  const variable = settings.tracesEndpoint === undefined ? 'OTEL_EXPORTER_OTLP_ENDPOINT' : 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
  const url = tracesUrl(settings);
  if (url === undefined) {
    return [{ level: 'warn', message: `${variable} is ${maskUrlsIn(given)}, not http(s): no process exports traces. Signalbox speaks OTLP over HTTP (JSON), usually on port 4318` }];
  }
  const service = settings.serviceName === undefined ? 'each process named for its service (signalbox when it runs several)' : `as ${settings.serviceName}`;
  const exported: Finding = { level: 'ok', message: `traces are exported by OTLP/HTTP (JSON) to ${maskUrlsIn(url)}, ${service}` };
  if (new URL(url).port !== grpcPort) return [exported];
  return [exported, { level: 'warn', message: `${variable} names port ${grpcPort}, OTLP/gRPC's: a collector there takes no OTLP/HTTP, which is usually on 4318` }];
}
