import MiniSearch from 'minisearch';
import type { MemoryEntry } from '@signalbox/events';

/**
 * The entries `agent` may see (the team's and its own) most relevant to `query`, at most `limit`:
 * ranked lexically (words, prefixes, near spellings), more confident entries a little higher. When
 * nothing matches, the most confident ones, newest first among equals: a new session still sees its
 * memory.
 */
export function rankMemory(entries: readonly MemoryEntry[], query: string, options: { limit: number; agent: string }): MemoryEntry[] {
  if (options.limit <= 0) return [];
  const visible = new Map(entries.filter(({ scope }) => scope === 'team' || scope.agent === options.agent).map((entry) => [entry.id, entry]));
  const index = new MiniSearch<{ id: string; text: string }>({ fields: ['text'], storeFields: [], searchOptions: { prefix: true, fuzzy: 0.2 } });
  index.addAll([...visible.values()].map(({ id, text }) => ({ id, text })));
  const hits = query.trim() === '' ? [] : index.search(query, { boostDocument: (id) => 0.5 + (visible.get(String(id))?.confidence ?? 0) });
  const matched = hits.flatMap((hit) => visible.get(String(hit.id)) ?? []);
  return (matched.length > 0 ? matched : [...visible.values()].sort(byConfidence)).slice(0, options.limit);
}

function byConfidence(a: MemoryEntry, b: MemoryEntry): number {
  return b.confidence - a.confidence || b.addedIn - a.addedIn || a.id.localeCompare(b.id);
}
