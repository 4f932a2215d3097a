import type { DreamRun, MemoryChange, MemoryEntry, MemoryOrigin, MemoryStoreDefinition, MemoryVersion, ModelRequest, SessionEvent, SessionIndexEntry } from '@signalbox/events';
import type { CallOptions, ModelLookup } from '@signalbox/models';
import { createLogger } from '@signalbox/runtime';
import { memoryEntryId, type EventReader } from '@signalbox/store';
import { defaultRequestChars } from '../core/consolidation-request.ts';
import { defaultTranscriptLimits } from '../core/transcript.ts';
import type { ConsolidationDeps } from './consolidate.ts';
import type { MemoryPort } from './memory-port.ts';

/** The memory stores in memory: versions made and promoted as the store library makes them, for tests of the shell's logic. */
export class MemoryFake implements MemoryPort {
  readonly stores = new Map<string, MemoryStoreDefinition>();
  readonly kept = new Map<string, MemoryVersion[]>();
  readonly read = new Map<string, Set<string>>();
  readonly runs = new Map<string, DreamRun>();

  constructor(definitions: readonly MemoryStoreDefinition[]) {
    for (const definition of definitions) this.stores.set(definition.name, definition);
  }

  async definition(store: string) {
    return this.stores.get(store);
  }
  async definitions() {
    return [...this.stores.values()];
  }
  async head(store: string) {
    return this.kept.get(store)?.findLast((version) => version.state === 'promoted');
  }
  async versions(store: string) {
    return [...(this.kept.get(store) ?? [])];
  }
  async propose(store: string, changes: MemoryChange[], origin: MemoryOrigin, now: number) {
    const versions = this.kept.get(store) ?? [];
    const head = await this.head(store);
    const version: MemoryVersion = { store, version: versions.length + 1, parent: head?.version ?? 0, state: 'proposed', origin, changes, entries: applied(head?.entries ?? [], changes, versions.length + 1, origin), createdAt: now };
    this.kept.set(store, [...versions, version]);
    return version;
  }
  async promote(store: string, number: number, by: string, now: number, options: { heldToo?: boolean } = {}) {
    const version = this.kept.get(store)?.find((kept) => kept.version === number);
    if (!version) throw new Error(`no version ${number}`);
    if (options.heldToo === false && version.changes.some((change) => change.held !== undefined)) throw new Error('held changes');
    Object.assign(version, { state: 'promoted', promoted: { by, at: now } });
    return version;
  }
  async readSessions(store: string) {
    return new Set(this.read.get(store));
  }
  async markRead(store: string, sessionIds: readonly string[]) {
    this.read.set(store, new Set([...(this.read.get(store) ?? []), ...sessionIds]));
  }
  async recordRun(store: string, run: DreamRun) {
    this.runs.set(`${store}/${run.jobId}`, run);
  }
  async run(store: string, jobId: string) {
    return this.runs.get(`${store}/${jobId}`);
  }
}

function applied(entries: readonly MemoryEntry[], changes: readonly MemoryChange[], version: number, origin: MemoryOrigin): MemoryEntry[] {
  const provider = origin.kind === 'consolidation' ? origin.provider : 'test';
  const gone = new Set(changes.flatMap((change) => (change.kind === 'merge' ? change.ids : change.kind === 'retire' ? [change.id] : [])));
  const added = changes.flatMap((change): MemoryEntry[] =>
    change.kind === 'retire' ? [] : [{ id: change.id, ...change.draft, writtenBy: { kind: 'consolidation', version, provider }, addedIn: version, flags: [] }],
  );
  return [...entries.filter((entry) => !gone.has(entry.id)), ...added];
}

/** The session logs in memory, as the consolidator reads them. */
export function readerOf(logs: readonly SessionEvent[][]): EventReader {
  const byId = new Map(logs.map((log) => [log[0]?.sessionId ?? '', log]));
  const unused = () => Promise.reject(new Error('not used by the consolidator'));
  return {
    read: async (sessionId) => byId.get(sessionId) ?? [],
    first: async (sessionId) => byId.get(sessionId)?.[0],
    head: unused,
    holds: unused,
    tail: () => (async function* () {})(),
    tailAll: () => (async function* () {})(),
  };
}

/** An index row for each log, finished in the logs' order (the last finished latest). */
export function rowsOf(logs: readonly SessionEvent[][]): SessionIndexEntry[] {
  return logs.map((log, index) => {
    const first = log[0];
    const agent = first?.type === 'session.created' ? first.data.agent.name : '';
    return { sessionId: first?.sessionId ?? '', correlationId: first?.sessionId ?? '', agent, status: 'succeeded', createdAt: index, updatedAt: index, lastN: log.length };
  });
}

/** A model lookup whose every model answers with `answer(request)`, counting its calls. */
export function functionModels(answer: (request: ModelRequest) => string): ModelLookup & { calls: ModelRequest[]; traceparents: (string | undefined)[] } {
  const calls: ModelRequest[] = [];
  const traceparents: (string | undefined)[] = [];
  const lookup = (model: string) => ({
    name: model.slice(model.indexOf('/') + 1),
    costOf: () => 0,
    provider: {
      name: model.slice(0, model.indexOf('/')),
      complete: async (request: ModelRequest, options?: CallOptions) => {
        calls.push(request);
        traceparents.push(options?.traceparent);
        return { model: request.model, content: [{ type: 'text' as const, text: answer(request) }], stopReason: 'end_turn' as const, usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 } };
      },
    },
  });
  return Object.assign(lookup, { calls, traceparents });
}

/** A consolidation's dependencies over the fakes, with a local provider `local` and a remote one `cloud`. */
export function depsOf(memory: MemoryFake, logs: readonly SessionEvent[][], models: ModelLookup): ConsolidationDeps {
  return {
    memory,
    reader: readerOf(logs),
    sessionRows: async () => rowsOf(logs),
    models,
    providers: { local: { kind: 'openai-compatible', baseURL: 'http://127.0.0.1:11434/v1' }, cloud: { kind: 'openai-compatible', baseURL: 'https://llm.example.com/v1' } },
    entryId: memoryEntryId,
    clock: () => 1_800_000_000_000,
    logger: createLogger({ service: 'memory-consolidator', instance: 'test', level: 'silent' }),
    limits: { transcript: defaultTranscriptLimits, requestChars: defaultRequestChars },
    modelDeadlineMs: 5_000,
  };
}
