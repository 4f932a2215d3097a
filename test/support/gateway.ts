import type { NatsConnection } from '@nats-io/nats-core';
import { naming } from '@signalbox/events';
import { gatewayService } from '@signalbox/gateway';
import { createLogger, createRuntimeMetrics, RuntimeConfig, type RunningService } from '@signalbox/runtime';
import { openEventReader } from '@signalbox/store';

export interface TestGateway {
  /** `http://127.0.0.1:<port>` without the trailing slash. */
  url: string;
  /** Every line the gateway logged, at debug level and up. */
  logLines: string[];
  stop(): Promise<void>;
}

/** A gateway on a free loopback port over `nc`, logging at debug into `logLines` so a test can read them. */
export async function startTestGateway(nc: NatsConnection, gateway: Partial<RuntimeConfig['gateway']> & { consoleDir?: string }): Promise<TestGateway> {
  const config = RuntimeConfig.parse({ natsUrl: 'nats://127.0.0.1:1', logLevel: 'debug', instance: 'gateway-test', gateway: { ...gateway, port: 0, host: '127.0.0.1' } });
  const names = naming(config.prefix);
  const logLines: string[] = [];
  const logger = createLogger({ service: 'gateway', instance: config.instance, level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });
  let url = '';
  const running: RunningService = await gatewayService({ onListening: (at) => (url = at.replace(/\/$/, '')) }).start({
    nc,
    names,
    config,
    logger,
    store: await openEventReader(nc, names),
    metrics: createRuntimeMetrics(config.instance),
  });
  return { url, logLines, stop: () => running.stop() };
}

/** One Server-Sent Event as the stream framed it. */
export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
}

/** The frames of an SSE response as they arrive; ends when the server ends the stream. Comments (keep-alives) are skipped. */
export async function* sseFrames(response: Response): AsyncGenerator<SseFrame> {
  if (!response.body) return;
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of response.body) {
    buffered += decoder.decode(chunk as Uint8Array, { stream: true });
    for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const frame: SseFrame = {};
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const field = line.slice(0, colon);
        const value = line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id' || field === 'event') frame[field] = value;
        if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
      }
      if (Object.keys(frame).length > 0) yield frame;
    }
  }
}
