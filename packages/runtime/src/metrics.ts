import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds buckets for model calls (up to minutes) and tool calls (from milliseconds). */
const modelBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const toolBuckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120];

/**
 * The runtime's metrics, one set per process (host), each service recording its own: the session
 * actor steps, models, tokens, cost and interventions (from the events it appends), executors the tool
 * calls they run, durable workers their consumers' backlog. Labels are bounded sets
 * (model and tool names, detectors): never a session id.
 */
export interface RuntimeMetrics {
  readonly registry: Registry;
  readonly steps: Counter<'model'>;
  readonly modelCallSeconds: Histogram<'model'>;
  readonly modelTokens: Counter<'model' | 'direction'>;
  readonly costUsd: Counter<'model'>;
  readonly toolCallSeconds: Histogram<'tool'>;
  readonly toolCalls: Counter<'tool' | 'status'>;
  readonly interventions: Counter<'detector' | 'action'>;
  readonly consumerPending: Gauge<'stream' | 'durable'>;
}

/** A fresh registry with every runtime metric, labelled with the process's instance. */
export function createRuntimeMetrics(instance: string): RuntimeMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ instance });
  const registers = [registry];
  return {
    registry,
    steps: new Counter({ name: 'signalbox_steps_total', help: 'Model turns recorded (model.responded appended), by model', labelNames: ['model'], registers }),
    modelCallSeconds: new Histogram({ name: 'signalbox_model_call_seconds', help: 'Latency of answered model calls, by model', labelNames: ['model'], buckets: modelBuckets, registers }),
    modelTokens: new Counter({ name: 'signalbox_model_tokens_total', help: 'Tokens of answered model calls, by model and direction (input, output)', labelNames: ['model', 'direction'], registers }),
    costUsd: new Counter({ name: 'signalbox_cost_usd_total', help: 'Cost of answered model calls in US dollars, by model', labelNames: ['model'], registers }),
    toolCallSeconds: new Histogram({ name: 'signalbox_tool_call_seconds', help: 'Duration of the tool calls this executor ran, by tool', labelNames: ['tool'], buckets: toolBuckets, registers }),
    toolCalls: new Counter({ name: 'signalbox_tool_calls_total', help: 'Tool calls this executor ran (not those answered from the ledger), by tool and status (completed, failed)', labelNames: ['tool', 'status'], registers }),
    interventions: new Counter({ name: 'signalbox_interventions_total', help: "Supervisor interventions recorded in sessions' logs (by the actor that recorded them), by detector and action", labelNames: ['detector', 'action'], registers }),
    consumerPending: new Gauge({ name: 'signalbox_consumer_pending', help: 'Messages a durable consumer has yet to deliver, as its last delivery said, by stream and durable', labelNames: ['stream', 'durable'], registers }),
  };
}

/** A running `/metrics` endpoint. */
export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `metrics`, with Node's process metrics, in Prometheus's text format at
 * `http://<host>:<port>/metrics` (port 0: any free one); nothing else. The process metrics are added
 * here, not with the registry: they start an event-loop monitor that runs until the process ends, which
 * only a host that serves them should pay for.
 */
export async function serveMetrics(metrics: RuntimeMetrics, host: string, port: number): Promise<MetricsServer> {
  collectDefaultMetrics({ register: metrics.registry });
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at GET /metrics\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics could not be collected: ${error instanceof Error ? error.message : String(error)}\n`),
    );
  });
  await listen(server, host, port);
  const { port: bound } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${shown}:${bound}/metrics`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
