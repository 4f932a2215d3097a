import type { ObjectStore } from '@nats-io/obj';

/** A read that received nothing for this long is given up and made again (see `readObject`). */
const objectReadStallMs = 5_000;
/** Reads of an object, in all, before its read fails. */
const objectReadAttempts = 3;

/** An object read that received no chunk for `stallMs`, every attempt. */
export class ObjectReadStalledError extends Error {
  override readonly name = 'ObjectReadStalledError';
  readonly code = 'object_read_stalled';
  constructor(name: string, stallMs: number, attempts: number) {
    super(`reading object ${name} received nothing for ${stallMs} ms, ${attempts} times`);
  }
}

/**
 * An object's bytes, or undefined when the store holds none by that name. nats.js reads an object's
 * chunks through an ordered push consumer with 30 s heartbeats; when a cluster node goes away under
 * it, that read stalls for about a minute before anything notices (a workspace read took 60 s, the
 * tool's timeout, in test/fault/cluster.test.ts). So a read that receives nothing for `stallMs` is
 * cancelled (which stops its consumer) and made again on a fresh one, three times in all.
 */
export async function readObject(store: Pick<ObjectStore, 'get'>, name: string, stallMs = objectReadStallMs): Promise<Uint8Array | undefined> {
  for (let attempt = 1; ; attempt++) {
    const read = await readOnce(store, name, stallMs);
    if (read !== stalled) return read;
    if (attempt >= objectReadAttempts) throw new ObjectReadStalledError(name, stallMs, attempt);
  }
}

const stalled = Symbol('stalled');

async function readOnce(store: Pick<ObjectStore, 'get'>, name: string, stallMs: number): Promise<Uint8Array | undefined | typeof stalled> {
  const result = await store.get(name);
  if (result === null) return undefined;
  // It rejects when the read fails (as the stream's read then does too): handled here, not left unhandled.
  const failure = result.error.then(
    (error) => error ?? undefined,
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
  const reader = result.data.getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const next = await withinStall(reader.read(), stallMs);
    if (next === stalled) {
      await reader.cancel();
      return stalled;
    }
    if (next.done) break;
    chunks.push(next.value);
  }
  const error = await failure;
  if (error !== undefined) throw error;
  return joined(chunks);
}

/** The chunks as one plain Uint8Array, as `getBlob` gives (`Buffer.concat` gives a Buffer, which callers compare unequal). */
function joined(chunks: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(chunks.reduce((length, chunk) => length + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

async function withinStall<T>(pending: Promise<T>, stallMs: number): Promise<T | typeof stalled> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<typeof stalled>((resolve) => (timer = setTimeout(() => resolve(stalled), stallMs)));
  try {
    return await Promise.race([pending, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
