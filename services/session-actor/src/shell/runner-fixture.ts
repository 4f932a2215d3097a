import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { permissionCheckTimeoutMs, type AgentDefinition, type Naming } from '@signalbox/events';
import { createScriptedProvider } from '@signalbox/models';
import { createLogger } from '@signalbox/runtime';
import { defaultEventPartitions, EventStore, MemoryStore, TranscriptStore } from '@signalbox/store';
import { monotonicFactory } from 'ulid';
import type { ModelResolver } from './model-caller.ts';
import { SessionRunner } from './session-runner.ts';
import { openSessionSnapshotStore } from './session-snapshots.ts';
import type { SessionTraces } from './session-traces.ts';

/** An agent that reads one file and answers, and the tool it calls, as the shell's tests start sessions with. */
export const readerAgent: AgentDefinition = {
  name: 'reader',
  model: 'scripted',
  system: 'Read one file.',
  tools: ['workspace.read'],
  budget: { maxSteps: 5 },
  maxTokens: 256,
  subagents: [],
  script: [{ tool: 'workspace.read', input: { path: 'notes.md' } }, { final: 'read' }],
};
export const readerTools = [{ name: 'workspace.read', description: 'Read a file', inputSchema: { type: 'object' } }];

/** Runs each agent's script, at no cost. */
const scriptedModels: ModelResolver = (definition) => ({ provider: createScriptedProvider(definition.script ?? []), costOf: () => 0 });

/**
 * For the shell's tests: a session actor of its own on `nc` (own store, empty cache), as another
 * process would have, named `instance`.
 */
export async function runnerFixture(nc: NatsConnection, names: Naming, instance: string, options: { snapshotEvery: number; resolveModel?: ModelResolver; permissionCheckTimeoutMs?: number; traces?: SessionTraces }) {
  const store = await EventStore.open(nc, names);
  const snapshots = await openSessionSnapshotStore(nc, names);
  const transcripts = await TranscriptStore.open(nc, names);
  const runner = new SessionRunner({
    nc,
    names,
    store,
    snapshots,
    transcripts,
    snapshotEvery: options.snapshotEvery,
    sessionIndex: await new Kvm(nc).open(names.buckets.sessions),
    logger: createLogger({ service: 'session-actor', instance, level: 'silent' }),
    resolveModel: options.resolveModel ?? scriptedModels,
    instance,
    actor: instance,
    clock: Date.now,
    newId: monotonicFactory(),
    permissionCheckTimeoutMs: options.permissionCheckTimeoutMs ?? permissionCheckTimeoutMs,
    eventPartitions: defaultEventPartitions,
    memory: await MemoryStore.open(nc, names),
    ...(options.traces ? { traces: options.traces } : {}),
  });
  return { runner, store, snapshots, transcripts };
}
