import { z } from 'zod';
import { eventData, eventVersion, type EventData, type EventType } from './catalogue.ts';
import { SessionId } from './ids.ts';
import { upcastEvent } from './upcasters.ts';

export const EventMeta = z.object({
  /** ULID. */
  id: z.string().min(1),
  /** Schema version of `data`; a decoded event is always at its type's current version (upcasters.ts). */
  v: z.number().int().positive(),
  sessionId: SessionId,
  /** 1, 2, 3... per session, contiguous. */
  n: z.number().int().positive(),
  /** Milliseconds since the epoch, from the writer's injected clock. */
  at: z.number().int().nonnegative(),
  /** The event or message that caused this one. */
  causationId: z.string().nullable(),
  /** The root session of the run. */
  correlationId: SessionId,
  traceparent: z.string().optional(),
  by: z.object({ service: z.string(), instance: z.string() }),
});
export type EventMeta = z.infer<typeof EventMeta>;

function envelopeOf<T extends EventType>(type: T) {
  const current = eventVersion(type);
  // Only a version without an upcaster is still older (or newer) here.
  const v = z.literal(current, { error: (issue) => `${String(issue.input)} is not a version of ${type} this code reads (it reads up to ${current})` });
  return EventMeta.extend({ type: z.literal(type), v, data: eventData[type] });
}

const envelopes = Object.keys(eventData).map((type) => envelopeOf(type as EventType));

const CurrentEvent = z.discriminatedUnion(
  'type',
  envelopes as unknown as [ReturnType<typeof envelopeOf<EventType>>, ...ReturnType<typeof envelopeOf<EventType>>[]],
);

/** A stored event of any version the codec reads, raised to its type's current version and validated as that. */
export const SessionEvent = z.preprocess(upcastEvent, CurrentEvent);

/** A stored event: envelope plus typed data, narrowed by `type`. */
export type SessionEvent = { [T in EventType]: EventMeta & { type: T; data: EventData<T> } }[EventType];
export type EventOf<T extends EventType> = Extract<SessionEvent, { type: T }>;
