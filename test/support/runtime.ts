import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import type { KeyPair } from '@nats-io/nkeys';
import { SignalboxClient } from '@signalbox/client';
import type { AgentDefinition, SessionEvent } from '@signalbox/events';
import { RuntimeConfig, startHost, type Host, type Service } from '@signalbox/runtime';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { sessionActorService, type SessionActorOptions } from '@signalbox/session-actor';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { toolExecutorService, workspaceTools, type ToolExecutorOptions, type ToolSpec } from '@signalbox/tool-executor';

/** A nats-server of its own, the session actor and tool executor in-process, and a client. */
export interface TestRuntime {
  server: NatsServer;
  host: Host;
  nc: NatsConnection;
  client: SignalboxClient;
  /** Waits until the session has completed and returns all its events. */
  completedSession(sessionId: string, timeoutMs?: number): Promise<SessionEvent[]>;
  dispose(): Promise<void>;
}

export interface TestRuntimeOptions {
  actor?: SessionActorOptions;
  tools?: readonly ToolSpec[];
  agents?: unknown[];
  /** More services in the same host (the supervisor, say). */
  services?: readonly Service[];
  /** The tool executor's options beyond its tools (its defaults unless given). */
  executor?: Omit<ToolExecutorOptions, 'tools'>;
}

export async function startTestRuntime(options: TestRuntimeOptions = {}): Promise<TestRuntime> {
  const server = await startNatsServer();
  const config = RuntimeConfig.parse({ natsUrl: server.url, logLevel: 'silent', instance: 'test' });
  const host = await startHost(
    [sessionActorService(options.actor), permissionBrokerService(), toolExecutorService({ ...options.executor, tools: options.tools ?? workspaceTools }), ...(options.services ?? [])],
    config,
  );
  const nc = await connect({ servers: server.url });
  const client = await SignalboxClient.open(nc);
  for (const agent of options.agents ?? []) await client.applyAgent(agent);
  return {
    server,
    host,
    nc,
    client,
    completedSession: (sessionId, timeoutMs = 10_000) => completedSession(client, sessionId, timeoutMs),
    dispose: async () => {
      await nc.close();
      await host.stop();
      await server.dispose();
    },
  };
}

/** Follows the session until it completes and returns all its events; throws if it has not within `timeoutMs`. */
export async function completedSession(client: SignalboxClient, sessionId: string, timeoutMs: number): Promise<SessionEvent[]> {
  const events: SessionEvent[] = [];
  const signal = AbortSignal.timeout(timeoutMs);
  for await (const event of client.follow(sessionId, signal)) events.push(event);
  if (events.at(-1)?.type !== 'session.completed') {
    throw new Error(`session ${sessionId} did not complete in ${timeoutMs} ms; saw ${events.map((event) => event.type).join(', ')}`);
  }
  return events;
}

/** Follows the session from its start until `done` holds for the events so far, and returns them; throws if it has not within `timeoutMs`. */
export async function eventsUntil(client: SignalboxClient, sessionId: string, done: (events: readonly SessionEvent[]) => boolean, timeoutMs = 10_000): Promise<SessionEvent[]> {
  const events: SessionEvent[] = [];
  for await (const event of client.follow(sessionId, AbortSignal.timeout(timeoutMs))) {
    events.push(event);
    if (done(events)) return events;
  }
  throw new Error(`session ${sessionId} did not get there in ${timeoutMs} ms; saw ${events.map((event) => event.type).join(', ')}`);
}

export const scriptedAgent = (overrides: Partial<AgentDefinition> = {}) => ({
  name: 'scribe',
  model: 'scripted',
  system: 'You keep notes.',
  tools: ['workspace.write', 'workspace.read'],
  script: [
    { text: 'Writing it down.' },
    { tool: 'workspace.write', input: { path: 'note.md', content: 'remember the milk' } },
    { tool: 'workspace.read', input: { path: 'note.md' } },
    { final: 'Noted: remember the milk' },
  ],
  ...overrides,
});

/** As completedSession, for a session that must have succeeded. */
export async function succeededSession(client: SignalboxClient, sessionId: string, timeoutMs: number): Promise<SessionEvent[]> {
  const events = await completedSession(client, sessionId, timeoutMs);
  const last = events.at(-1);
  if (last?.type !== 'session.completed' || last.data.status !== 'succeeded') {
    throw new Error(`session ${sessionId} ended ${last?.type === 'session.completed' ? last.data.status : 'unfinished'}: ${JSON.stringify(last?.data)}`);
  }
  return events;
}

/** A runtime's config where the broker signs grants with `broker`'s seed and executors run only jobs it signed. */
export function signedGrantsConfig(natsUrl: string, instance: string, broker: KeyPair): RuntimeConfig {
  return RuntimeConfig.parse({
    natsUrl,
    logLevel: 'silent',
    instance,
    permissionBroker: { nkeySeed: new TextDecoder().decode(broker.getSeed()) },
    toolExecutor: { grantSigners: [broker.getPublicKey()] },
  });
}
