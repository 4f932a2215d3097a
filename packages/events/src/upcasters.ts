import { eventData, eventVersion, type EventType } from './catalogue.ts';

type Data = Record<string, unknown>;

/** Raises the data of one version of a type to version `to`, which is always higher. */
interface Upcaster {
  to: number;
  up: (data: Data) => Data;
}

/**
 * Per type, an upcaster from each older version the codec still reads. A shape that changes is a
 * new version with an upcaster here, and stored events are never rewritten: old runs keep
 * decoding, as the current shape. An upcaster usually goes to the next version, but one whose
 * meaning a later version spells out in its data goes straight there. It sees data not yet
 * validated and adds only what it must: the current schema validates the result, so a bad old
 * event is still refused with the reason.
 */
export const upcasters: { readonly [T in EventType]?: Readonly<Record<number, Upcaster>> } = {
  'session.created': {
    // Every session created before decider versions existed was decided by version 1's rules.
    1: { to: 2, up: (data) => ({ ...data, deciderVersion: 1 }) },
  },
  'model.requested': {
    // v1 and v2 share one shape and told their digests apart by `v` alone; v3 says it in the data.
    1: { to: 3, up: (data) => ({ ...data, digestScheme: 'whole-request' }) },
    2: { to: 3, up: (data) => ({ ...data, digestScheme: 'message-chain' }) },
  },
};

/** The versions of `type` the codec reads: the current one and each older one with an upcaster. */
export function readableVersions(type: EventType): number[] {
  const older = Object.keys(upcasters[type] ?? {}).map(Number);
  return [...older, eventVersion(type)].sort((a, b) => a - b);
}

/**
 * A decoded, not yet validated event raised to its type's current version. An event of a version
 * without an upcaster (or not an event at all) is returned as it came, for the schema to refuse.
 */
export function upcastEvent(raw: unknown): unknown {
  if (!isRecord(raw) || !isEventType(raw['type']) || typeof raw['v'] !== 'number') return raw;
  const current = eventVersion(raw['type']);
  const steps = upcasters[raw['type']] ?? {};
  let v = raw['v'];
  let data = raw['data'];
  for (let step = steps[v]; v !== current && step && step.to > v; step = steps[v]) {
    // Data that is not an object is left for the schema to refuse as what it is.
    if (isRecord(data)) data = step.up(data);
    v = step.to;
  }
  return v === raw['v'] ? raw : { ...raw, v, data };
}

function isEventType(type: unknown): type is EventType {
  return typeof type === 'string' && Object.hasOwn(eventData, type);
}

function isRecord(value: unknown): value is Data {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
