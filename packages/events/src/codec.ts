import { Decoder, Encoder } from '@msgpack/msgpack';
import { z } from 'zod';
import { SessionEvent } from './envelope.ts';
import { storedLimits, inputLimits, jsonLimitProblem, msgpackLimitProblem, type WireLimits } from './wire-limits.ts';

/** Wire bytes that are not what they claim to be. Carries the zod or msgpack error as `cause`. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  readonly code = 'decode_failed';
  /** The same bytes fail the same way every time: never worth retrying. */
  readonly permanent = true;
  constructor(what: string, cause: unknown) {
    super(`cannot decode ${what}: ${describe(cause)}`, { cause });
  }
}

// One encoder and decoder for the process: they keep internal buffers and caches worth reusing.
const encoder = new Encoder({ ignoreUndefined: true, maxDepth: storedLimits.maxDepth });
const decoder = new Decoder();

export function encode(value: unknown): Uint8Array {
  return encoder.encode(value);
}

/** Decodes msgpack within `limits` (input's by default) and validates it against `schema`; anything else is a DecodeError. */
export function decode<S extends z.ZodType>(schema: S, bytes: Uint8Array, what: string, limits: WireLimits = inputLimits): z.infer<S> {
  const problem = msgpackLimitProblem(bytes, limits);
  if (problem !== undefined) throw new DecodeError(what, problem);
  let raw: unknown;
  try {
    raw = decoder.decode(bytes);
  } catch (error) {
    throw new DecodeError(what, error);
  }
  return validate(schema, raw, what);
}

/** Parses JSON within `limits` (input's by default); anything else is a DecodeError. Validate the result with `validate`. */
export function parseJson(bytes: Uint8Array, what: string, limits: WireLimits = inputLimits): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new DecodeError(what, error);
  }
  const problem = jsonLimitProblem(text, limits, bytes.length);
  if (problem !== undefined) throw new DecodeError(what, problem);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DecodeError(what, error);
  }
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
  return decode(SessionEvent, bytes, 'event', storedLimits) as SessionEvent;
}

/**
 * A message on the events stream: one event (a msgpack map), or the events of one decision in order
 * (an array), all of one session with contiguous numbers. The append contract: see the README.
 */
const EventMessage = z.union([
  SessionEvent.transform((event) => [event]),
  z
    .array(SessionEvent)
    .min(1)
    .refine((events) => events.every((event, i) => i === 0 || (event.sessionId === events[0]!.sessionId && event.n === events[i - 1]!.n + 1)), {
      error: "a decision's events must be one session's, numbered one after another",
    }),
]);

/** One event as a map, as every event was stored before decisions became one message; several as an array. */
export function encodeEventMessage(events: readonly SessionEvent[]): Uint8Array {
  return encode(events.length === 1 ? events[0] : events);
}

/** The events a message of the events stream holds, in order, each in its type's current version. */
export function decodeEventMessage(bytes: Uint8Array): SessionEvent[] {
  return decode(EventMessage, bytes, 'event message', storedLimits) as SessionEvent[];
}

function describe(cause: unknown): string {
  if (cause && typeof cause === 'object' && 'issues' in cause && Array.isArray(cause.issues)) {
    return cause.issues
      .map((issue: { path: PropertyKey[]; message: string }) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
  }
  return cause instanceof Error ? cause.message : String(cause);
}
