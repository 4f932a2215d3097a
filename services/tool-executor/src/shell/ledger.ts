import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { toolLedgerKey } from '@signalbox/store';
import { LedgerEntry } from '../core/execution-plan.ts';

/** A ledger entry that is not one: written by something other than an executor. */
export class InvalidLedgerEntryError extends Error {
  override readonly name = 'InvalidLedgerEntryError';
  readonly code = 'invalid_ledger_entry';
  constructor(idempotencyKey: string, cause: unknown) {
    super(`the tool ledger entry of ${idempotencyKey} is not valid`, { cause });
  }
}

export interface LedgerRecord {
  entry: LedgerEntry;
  revision: number;
}

/**
 * The `sbx-tool-ledger` bucket: one entry per tool call, so that a call redelivered or re-dispatched
 * answers with its recorded result instead of running again.
 */
export interface ToolLedger {
  read(idempotencyKey: string): Promise<LedgerRecord | undefined>;
  /**
   * Writes `entry` only if the call's entry is still at `revision` (absent when undefined): the new
   * revision, or undefined when another executor wrote first.
   */
  write(entry: LedgerEntry, revision: number | undefined): Promise<number | undefined>;
}

export function kvToolLedger(bucket: KV): ToolLedger {
  return {
    read: async (idempotencyKey) => {
      const stored = await bucket.get(ledgerKey(idempotencyKey));
      if (!stored || stored.operation !== 'PUT') return undefined;
      const parsed = LedgerEntry.safeParse(parseJson(stored.string()));
      if (!parsed.success) throw new InvalidLedgerEntryError(idempotencyKey, parsed.error);
      return { entry: parsed.data, revision: stored.revision };
    },
    write: async (entry, revision) => {
      const key = ledgerKey(entry.idempotencyKey);
      const value = JSON.stringify(entry);
      try {
        return revision === undefined ? await bucket.create(key, value) : await bucket.update(key, value, revision);
      } catch (error) {
        if (isLostRace(error)) return undefined;
        throw error;
      }
    },
  };
}

/**
 * KV keys allow only `[-/_=.a-zA-Z0-9]`, while call ids come from model providers and may hold anything.
 * A sha256 maps every idempotency key to a safe key of fixed length (the entry keeps the original).
 */
/** The store's own naming of ledger keys, so a session's deletion finds its calls' entries. */
export const ledgerKey = toolLedgerKey;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isLostRace(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
