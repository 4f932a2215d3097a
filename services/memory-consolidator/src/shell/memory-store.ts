import { createHash } from 'node:crypto';
import type { ServiceContext } from '@signalbox/runtime';
import type { MemoryPort } from './memory-port.ts';

// Stand-ins until the store library's MemoryStore lands (branch memory-store): replaced at the merge.
export function memoryEntryId(seed: string): string {
  return `m-${createHash('sha256').update(seed).digest('hex').slice(0, 16)}`;
}

export async function openMemoryStore(_context: ServiceContext): Promise<MemoryPort> {
  throw new Error('the memory store library (MemoryStore of @signalbox/store) is not merged yet: pass options.memory');
}
