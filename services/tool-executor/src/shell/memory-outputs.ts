import { sha256Of, type OutputKeeper } from './whole-outputs.ts';

/** Keeps long outputs in a map, by sha256, as the object store does: for tests. */
export function memoryOutputs(stored = new Map<string, string>()): OutputKeeper {
  return {
    keep: async (text) => {
      const sha256 = sha256Of(Buffer.from(text, 'utf8'));
      stored.set(sha256, text);
      return { sha256, chars: text.length };
    },
  };
}
