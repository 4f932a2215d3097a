import { createHash } from 'node:crypto';
import type { ObjectStore } from '@nats-io/obj';
import type { WholeOutput } from '@signalbox/events';
import type { ContentReferences } from '@signalbox/store';

/** Keeps tool outputs too long to carry in a result, for the session whose call returned them. */
export interface OutputKeeper {
  keep(text: string, sessionId: string): Promise<WholeOutput>;
}

/**
 * Stores each output under its sha256 in the tool-outputs object store, so the same output is stored
 * once, after recording that the session refers to it: deleting another session that returned the
 * same output then keeps it.
 */
export function objectStoreOutputs(store: ObjectStore, references: ContentReferences): OutputKeeper {
  return {
    keep: async (text, sessionId) => {
      const bytes = Buffer.from(text, 'utf8');
      const sha256 = sha256Of(bytes);
      await references.refer('output', sha256, sessionId);
      const stored = await store.info(sha256);
      if (!stored || stored.deleted) await store.putBlob({ name: sha256 }, bytes);
      return { sha256, chars: text.length };
    },
  };
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
