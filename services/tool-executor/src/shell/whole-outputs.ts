import { createHash } from 'node:crypto';
import type { ObjectStore } from '@nats-io/obj';
import type { WholeOutput } from '@signalbox/events';

/** Keeps tool outputs too long to carry in a result. */
export interface OutputKeeper {
  keep(text: string): Promise<WholeOutput>;
}

/** Stores each output under its sha256 in the tool-outputs object store, so the same output is stored once. */
export function objectStoreOutputs(store: ObjectStore): OutputKeeper {
  return {
    keep: async (text) => {
      const bytes = Buffer.from(text, 'utf8');
      const sha256 = sha256Of(bytes);
      const stored = await store.info(sha256);
      if (!stored || stored.deleted) await store.putBlob({ name: sha256 }, bytes);
      return { sha256, chars: text.length };
    },
  };
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
