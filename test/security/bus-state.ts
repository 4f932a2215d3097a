import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { createLogger, createRuntimeMetrics, RuntimeConfig, type Logger, type RunningService, type Service } from '@signalbox/runtime';
import { naming } from '@signalbox/events';
import { openEventReader, provision } from '@signalbox/store';

/** Where a stream stands: every stream, KV bucket (`KV_<bucket>`) and object store (`OBJ_<store>`) is one. */
export interface StreamState {
  messages: number;
  firstSeq: number;
  lastSeq: number;
}

/** Every stream on the server, by name: what a hostile input must leave as it was. */
export async function busState(nc: NatsConnection): Promise<Map<string, StreamState>> {
  const jsm = await jetstreamManager(nc);
  const states = new Map<string, StreamState>();
  for await (const info of jsm.streams.list()) {
    const { messages, first_seq: firstSeq, last_seq: lastSeq } = info.state;
    states.set(info.config.name, { messages, firstSeq, lastSeq });
  }
  return states;
}

/** Every message of every stream on the server, headers and data, as text. */
export async function everyStoredMessage(nc: NatsConnection): Promise<Map<string, string>> {
  const jsm = await jetstreamManager(nc);
  const texts = new Map<string, string>();
  for await (const info of jsm.streams.list()) {
    const parts: string[] = [];
    const { first_seq: first, last_seq: last, messages } = info.state;
    for (let seq = first; messages > 0 && seq <= last; seq += 1) {
      const message = await jsm.streams.getMessage(info.config.name, { seq }).catch(() => undefined);
      if (!message) continue;
      parts.push(message.subject, new TextDecoder().decode(message.data), message.header ? [...message.header.keys()].map((key) => `${key}:${message.header?.get(key) ?? ''}`).join(';') : '');
    }
    texts.set(info.config.name, parts.join('\n'));
  }
  return texts;
}

/** Messages per subject of `stream`, for the subjects under `filter`. */
export async function subjectCounts(nc: NatsConnection, stream: string, filter: string): Promise<Record<string, number>> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream, { subjects_filter: filter });
  return { ...info.state.subjects };
}

/** The streams of `after` that differ from `before` (or are gone, or new), leaving out `written`: the ones the work itself writes. */
export function changedStreams(before: Map<string, StreamState>, after: Map<string, StreamState>, written: readonly string[]): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((name) => !written.includes(name) && JSON.stringify(before.get(name)) !== JSON.stringify(after.get(name))).sort();
}

/** Log lines a host's services wrote, parsed, for tests that check what was logged. */
export interface CapturedLogs {
  lines: Record<string, unknown>[];
}

/**
 * Runs `services` on `nc` as `startHost` would, but with loggers that write to `logs` (at `warn` and
 * above unless `settings` say otherwise), so a test can check what was logged without printing it.
 */
export async function startCapturedHost(nc: NatsConnection, services: readonly Service[], logs: CapturedLogs, settings: Record<string, unknown> = {}): Promise<{ stop(): Promise<void> }> {
  const config = RuntimeConfig.parse({ logLevel: 'warn', instance: 'security', ...settings });
  const names = naming(config.prefix);
  await provision(nc, names, { replicas: 1, eventPartitions: config.eventPartitions });
  const store = await openEventReader(nc, names);
  const running: RunningService[] = [];
  for (const service of services) {
    const destination = { write: (line: string) => void logs.lines.push(JSON.parse(line) as Record<string, unknown>) };
    const logger: Logger = createLogger({ service: service.name, instance: config.instance, level: config.logLevel, destination });
    running.push(await service.start({ nc, names, config, logger, store, metrics: createRuntimeMetrics(config.instance) }));
  }
  return { stop: async () => void (await Promise.all(running.map((service) => service.stop()))) };
}
