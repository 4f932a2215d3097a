import { Decoder, Encoder } from '@msgpack/msgpack';
import type { z } from 'zod';
import { SessionEvent } from './envelope.ts';

/** Wire bytes that are not what they claim to be. Carries the zod or msgpack error as `cause`. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  readonly code = 'decode_failed';
  constructor(what: string, cause: unknown) {
    super(`cannot decode ${what}: ${describe(cause)}`, { cause });
  }
}

// One encoder and decoder for the process: they keep internal buffers and caches worth reusing.
const encoder = new Encoder({ ignoreUndefined: true });
const decoder = new Decoder();

export function encode(value: unknown): Uint8Array {
  return encoder.encode(value);
}

/** Decodes msgpack and validates it against `schema`; anything else is a DecodeError. */
export function decode<S extends z.ZodType>(schema: S, bytes: Uint8Array, what: string): z.infer<S> {
  let raw: unknown;
  try {
    raw = decoder.decode(bytes);
  } catch (error) {
    throw new DecodeError(what, error);
  }
  return validate(schema, raw, what);
}

export function validate<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new DecodeError(what, parsed.error);
  return parsed.data;
}

export function encodeEvent(event: SessionEvent): Uint8Array {
  return encode(event);
}

/** A stored event in its type's current version: older versions are raised by their upcasters, then validated. */
export function decodeEvent(bytes: Uint8Array): SessionEvent {
  return decode(SessionEvent, bytes, 'event') as SessionEvent;
}

function describe(cause: unknown): string {
  if (cause && typeof cause === 'object' && 'issues' in cause && Array.isArray(cause.issues)) {
    return cause.issues
      .map((issue: { path: PropertyKey[]; message: string }) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
  }
  return cause instanceof Error ? cause.message : String(cause);
}
