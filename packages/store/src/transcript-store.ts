import type { NatsConnection } from '@nats-io/nats-core';
import { Kvm } from '@nats-io/kv';
import { decode, encode, storedLimits, type Message, type Naming } from '@signalbox/events';
import { z } from 'zod';
import { LargeValues, MissingPartsError } from './large-values.ts';

/** Messages per chunk: a long session's snapshot holds at most this many, whatever its length. */
export const transcriptChunkSize = 64;

const Chunk = z.array(z.unknown());

/** Earlier messages of a conversation that its chunks do not hold: its snapshot can no longer be resumed from. */
export class MissingTranscriptError extends Error {
  constructor(sessionId: string, chunk: number, cause?: unknown) {
    super(`the transcript of ${sessionId} lacks chunk ${chunk}`, { cause });
    this.name = 'MissingTranscriptError';
  }
}

/**
 * A session's conversation in fixed chunks of `transcriptChunkSize` messages (chunk i holds
 * messages i*size to (i+1)*size - 1), so a snapshot carries only its latest messages and stays the
 * same number of messages however long the session runs. Chunks are written once, before the
 * snapshot that needs them, and never change: the messages of a session are its log's, which is
 * append-only. A chunk of large messages is stored in parts.
 */
export class TranscriptStore {
  readonly #values: LargeValues;

  private constructor(values: LargeValues) {
    this.#values = values;
  }

  static async open(nc: NatsConnection, names: Naming): Promise<TranscriptStore> {
    return new TranscriptStore(new LargeValues(await new Kvm(nc).open(names.buckets.transcripts)));
  }

  /** Saves `messages`, the conversation's messages from index `from` on; both `from` and their count are whole chunks. */
  async save(sessionId: string, from: number, messages: readonly Message[]): Promise<void> {
    assertWholeChunks(from, messages.length);
    const writes: Promise<unknown>[] = [];
    for (let offset = 0; offset < messages.length; offset += transcriptChunkSize) {
      const chunk = (from + offset) / transcriptChunkSize;
      writes.push(this.#values.put(keyOf(sessionId, chunk), encode(messages.slice(offset, offset + transcriptChunkSize))));
    }
    await Promise.all(writes);
  }

  /** Removes the chunks that hold the conversation's first `count` messages (whole chunks). */
  async remove(sessionId: string, count: number): Promise<void> {
    assertWholeChunks(0, count);
    await Promise.all(Array.from({ length: count / transcriptChunkSize }, (_, chunk) => this.#values.purge(keyOf(sessionId, chunk))));
  }

  /** The conversation's first `count` messages (whole chunks). */
  async load(sessionId: string, count: number): Promise<Message[]> {
    assertWholeChunks(0, count);
    const chunks = await Promise.all(
      Array.from({ length: count / transcriptChunkSize }, async (_, chunk) => {
        const value = await this.#values.get(keyOf(sessionId, chunk)).catch((error: unknown) => {
          throw error instanceof MissingPartsError ? new MissingTranscriptError(sessionId, chunk, error) : error;
        });
        if (!value) throw new MissingTranscriptError(sessionId, chunk);
        // Written by this store from a validated log; like snapshots, trusted as far as their shape.
        return decode(Chunk, value, `transcript chunk ${chunk} of ${sessionId}`, storedLimits) as Message[];
      }),
    );
    return chunks.flat();
  }
}

function keyOf(sessionId: string, chunk: number): string {
  return `${sessionId}.${chunk}`;
}

function assertWholeChunks(from: number, count: number): void {
  if (from % transcriptChunkSize !== 0 || count % transcriptChunkSize !== 0) {
    throw new RangeError(`transcript chunks hold ${transcriptChunkSize} messages: cannot store ${count} from ${from}`);
  }
}
