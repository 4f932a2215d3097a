import type { MemoryEntry, ToolOutcome } from '@signalbox/events';
import type { ActiveState, SessionCommand, SessionEffect } from '@signalbox/session';
import { memoryEntryId, rankMemory, type MemoryStore } from '@signalbox/store';

type LoadMemory = Extract<SessionEffect, { type: 'LoadMemory' }>;
type RunMemoryTool = Extract<SessionEffect, { type: 'RunMemoryTool' }>;

/** Where a session's memory comes from (decider version 10 on); answers come back as the commands that record them. */
export interface MemoryPort {
  load(effect: LoadMemory): Promise<SessionCommand>;
  /** `session`: the state after the call was requested, which says the event that requested it. */
  run(session: ActiveState, effect: RunMemoryTool): Promise<SessionCommand>;
}

/** The store's part a session uses: its definition (who may use it), its head, and writes. */
export type SessionMemory = Pick<MemoryStore, 'definition' | 'head' | 'version' | 'write'>;

/**
 * Memory from the `sbx-memory` bucket. A store serves only the agents its definition names: an agent
 * definition naming another team's store gets nothing from it. A store that cannot be used is said so
 * (in `memory.loaded`, or as the tool's failure); the session goes on without it.
 */
export function liveMemoryPort(memory: SessionMemory, clock: () => number): MemoryPort {
  const storeFor = new StoreEntries(memory);
  return {
    load: async ({ store, agent, query, limit, version }) => {
      const found = await storeFor.entries(store, agent, version);
      if ('problem' in found) return { type: 'RecordMemoryLoaded', store, version: 0, entries: [], problem: found.problem };
      const entries = rankMemory(found.entries, query, { limit, agent }).map(({ id, text }) => ({ id, text }));
      return { type: 'RecordMemoryLoaded', store, version: found.version, entries };
    },
    run: async (session, effect) => {
      const started = clock();
      const outcome = await storeFor.answer(session, effect, started);
      return { type: 'RecordToolResult', result: { type: 'tool.result', sessionId: effect.sessionId, callId: effect.callId, tool: effect.tool, outcome, durationMs: clock() - started } };
    },
  };
}

type Found = { version: number; entries: readonly MemoryEntry[] } | { problem: string };

class StoreEntries {
  readonly #memory: SessionMemory;

  constructor(memory: SessionMemory) {
    this.#memory = memory;
  }

  /** The store's head, or `version` when the agent pins one (a version that does not exist is a problem, not the head). */
  async entries(store: string, agent: string, version?: number): Promise<Found> {
    const definition = await this.#memory.definition(store);
    if (!definition) return { problem: `there is no memory store "${store}" (signalbox memory apply -f <file>)` };
    if (!definition.agents.includes(agent)) return { problem: `the agent "${agent}" is not one of memory store "${store}"'s agents (${definition.agents.join(', ')})` };
    if (version !== undefined) {
      const pinned = await this.#memory.version(store, version);
      return pinned ? { version, entries: pinned.entries } : { problem: `memory store "${store}" has no version ${version} (signalbox memory list ${store})` };
    }
    const head = await this.#memory.head(store);
    return { version: head?.version ?? 0, entries: head?.entries ?? [] };
  }

  async answer(session: ActiveState, effect: RunMemoryTool, now: number): Promise<ToolOutcome> {
    const { store, agent } = effect;
    if (effect.tool === 'memory.search') {
      const found = await this.entries(store, agent, session.memoryUse?.version);
      if ('problem' in found) return { status: 'failed', error: found.problem };
      const ranked = rankMemory(found.entries, effect.input.query, { limit: effect.input.limit, agent });
      if (ranked.length === 0) return { status: 'completed', output: `memory store "${store}" (version ${found.version}) holds nothing yet` };
      return { status: 'completed', output: ranked.map((entry) => `[${entry.id}] ${entry.text} (confidence ${entry.confidence})`).join('\n') };
    }
    // The agent must be one of the store's, as for a load; a write goes on top of the head, pinned or not.
    const allowed = await this.entries(store, agent);
    if ('problem' in allowed) return { status: 'failed', error: allowed.problem };
    const event = requestedEventOf(session, effect.callId);
    if (event === undefined) return { status: 'failed', error: 'the call is not waiting for its result' };
    const { text, scope, confidence } = effect.input;
    const draft = { text, confidence, scope: scope === 'agent' ? { agent } : ('team' as const), evidence: [{ sessionId: effect.sessionId, events: [event] }] };
    // The id is the call's, so a call done again after a crash finds its entry instead of writing a second.
    const written = await this.#memory.write(store, { id: memoryEntryId(`${effect.sessionId}/${effect.callId}`), draft, author: { kind: 'session', sessionId: effect.sessionId, event } }, now);
    return { status: 'completed', output: `remembered as ${written.entry.id} in memory store "${store}" (version ${written.version})` };
  }
}

function requestedEventOf(session: ActiveState, callId: string): number | undefined {
  return session.status === 'awaiting_tools' ? session.pending.find((call) => call.callId === callId)?.requestedN : undefined;
}
