import type { NatsConnection } from '@nats-io/nats-core';
import type { Naming } from '@signalbox/events';
import type { HealthProbe } from './health-server.ts';
import { askWhatIsMissing, readinessOf, watchConnection, type Readiness } from './readiness.ts';

/** A host's answers to health probes, told by the host when it has started and when it drains. */
export interface HostHealth extends HealthProbe {
  started(): void;
  draining(): void;
}

export interface HostHealthOptions {
  /** How long one answer from NATS serves later probes: probes from many places cost the server one look. */
  cacheMs?: number;
  /** How long the server has to answer before the host is called not ready. */
  deadlineMs?: number;
}

export function hostHealth(nc: NatsConnection, names: Naming, options: HostHealthOptions = {}): HostHealth {
  const cacheMs = options.cacheMs ?? 1_000;
  const deadlineMs = options.deadlineMs ?? 2_000;
  const connected = watchConnection(nc);
  const state = { started: false, draining: false };
  let asked: { at: number; answer: ReturnType<typeof askWhatIsMissing> } | undefined;
  const whatIsMissing = () => {
    if (!asked || Date.now() - asked.at > cacheMs) asked = { at: Date.now(), answer: askWhatIsMissing(nc, names, deadlineMs) };
    return asked.answer;
  };
  return {
    started: () => void (state.started = true),
    draining: () => void (state.draining = true),
    alive: () => !nc.isClosed(),
    readiness: async (): Promise<Readiness> => {
      const facts = { ...state, connected: connected() };
      // Not ready whatever NATS says: asking would only load the server (or wait on a dead connection).
      if (!facts.started || facts.draining || !facts.connected) return readinessOf(facts);
      return readinessOf({ ...facts, ...(await whatIsMissing()) });
    },
  };
}
