import { propagation, ROOT_CONTEXT, trace, type Context, type SpanContext, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { ATTR_SERVICE_INSTANCE_ID } from '@opentelemetry/semantic-conventions/incubating';
import type { TracingSettings } from './config.ts';

/**
 * A process's traces, when it exports any: services start their spans with `tracer` and carry their
 * context across NATS as a W3C `traceparent`. A host without an OTLP endpoint has none, so that
 * tracing off costs a service one `undefined` check, not a span.
 */
export interface Tracing {
  readonly tracer: Tracer;
  /** The URL spans are exported to. */
  readonly exportsTo: string;
  /** Exports what is still buffered and stops: spans ended after it are dropped. Never rejects: a collector that is gone loses them. */
  shutdown(): Promise<void>;
}

/** How long one export may take: a host's stop waits on its last one. */
const exportTimeoutMs = 5_000;

/** What a host names the process in its traces. */
export interface TracedProcess {
  /** The services the process runs: `service.name` when it is one (unless the settings give one), else `signalbox`; `signalbox.services` joins them. */
  services: readonly string[];
  instance: string;
}

/**
 * The traces URL the settings give: the whole one, or the base one's `/v1/traces`. Undefined: no
 * tracing, also for a URL that is not http(s) (OTLP/gRPC is not spoken here; `doctor` warns of it).
 */
export function tracesUrl(settings: TracingSettings): string | undefined {
  const url = settings.tracesEndpoint ?? (settings.endpoint === undefined ? undefined : `${settings.endpoint.replace(/\/+$/, '')}/v1/traces`);
  return url !== undefined && /^https?:\/\//i.test(url) ? url : undefined;
}

/**
 * Starts exporting spans by OTLP (HTTP, JSON) when the settings name an endpoint. Spans go out in
 * batches from a bounded queue, off the path that ends them: a collector that is slow or gone costs
 * dropped spans, never a slower or failed step. `exporter` replaces the OTLP one (tests).
 */
export function startTracing(settings: TracingSettings, process: TracedProcess, exporter?: SpanExporter): Tracing | undefined {
  const url = tracesUrl(settings);
  if (url === undefined) return undefined;
  // The propagator is global state, like the API's: set once per process, the same for every host in it.
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const [only, ...others] = process.services;
  const serviceName = settings.serviceName ?? (only !== undefined && others.length === 0 ? only : 'signalbox');
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName, [ATTR_SERVICE_INSTANCE_ID]: process.instance, 'signalbox.services': process.services.join(',') });
  const spanProcessors = [new BatchSpanProcessor({ exporter: exporter ?? new OTLPTraceExporter({ url, timeoutMillis: exportTimeoutMs }), maxQueueSize: 4096, scheduledDelayMillis: 1_000 })];
  const provider = new TracerProvider({ resource, spanProcessors });
  return { tracer: provider.getTracer('signalbox'), exportsTo: url, shutdown: () => provider.shutdown().catch(() => undefined) };
}

/** A span's context as a W3C `traceparent` (what events and jobs carry); undefined for an invalid one. */
export function traceparentOf(spanContext: SpanContext): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpanContext(ROOT_CONTEXT, spanContext), carrier);
  return carrier['traceparent'];
}

/** The context a `traceparent` names, as a remote parent; the root context when there is none or it does not parse. */
export function contextOfTraceparent(traceparent: string | undefined): Context {
  if (traceparent === undefined) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

/** The W3C trace headers of `context` (none when it holds no span, or no tracing started), for an outgoing request. */
export function traceHeadersOf(context: Context): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(context, headers);
  return headers;
}
