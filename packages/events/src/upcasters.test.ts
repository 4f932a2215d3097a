import { describe, expect, it } from 'vitest';
import { eventTypes, eventVersion, type EventType } from './catalogue.ts';
import { decodeEvent, DecodeError, encode } from './codec.ts';
import { readableVersions, upcastEvent, upcasters } from './upcasters.ts';

const meta = { id: 'e1', sessionId: 's1', n: 1, at: 1_700_000_000_000, causationId: null, correlationId: 's1', by: { service: 'test', instance: 't' } };
const agent = { name: 'helper', model: 'anthropic/claude-sonnet-4-5', system: 'Be brief.', tools: [], budget: { maxSteps: 3 }, maxTokens: 1024, subagents: [] };
const created = { agent, input: 'Summarise notes.md', tools: [], budget: { maxSteps: 3 } };
const requested = { callId: 'm1', model: 'scripted', digest: 'a'.repeat(64), attempt: 1 };

/** An event as a writer of version `v` stored it, read back through the codec. */
function readBack(type: EventType, v: number, data: unknown) {
  return decodeEvent(encode({ ...meta, type, v, data }));
}

function decodeFailure(type: EventType, v: number, data: unknown): string {
  try {
    readBack(type, v, data);
  } catch (error) {
    if (error instanceof DecodeError) return error.message;
    throw error;
  }
  throw new Error('decoded');
}

describe('the codec raises older events to the current version', () => {
  it.each([
    ['session.created', 1, created, { ...created, deciderVersion: 1 }],
    ['model.requested', 1, requested, { ...requested, digestScheme: 'whole-request' }],
    ['model.requested', 2, requested, { ...requested, digestScheme: 'message-chain' }],
  ] as const)('%s v%i decodes in the current shape', (type, v, data, current) => {
    expect(readBack(type, v, data)).toEqual({ ...meta, type, v: eventVersion(type), data: current });
  });

  it('reads current events as they are', () => {
    const data = { ...requested, digestScheme: 'message-chain' };
    expect(readBack('model.requested', 3, data)).toEqual({ ...meta, type: 'model.requested', v: 3, data });
  });

  it('refuses a bad old event with the reason, as the current schema gives it', () => {
    const { digest: _digest, ...noDigest } = requested;
    expect(decodeFailure('model.requested', 1, noDigest)).toMatch(/data\.digest: /);
    expect(decodeFailure('session.created', 1, { ...created, budget: { maxSteps: -1 } })).toMatch(/data\.budget\.maxSteps: /);
    expect(decodeFailure('model.requested', 2, 'not an object')).toMatch(/data: .*expected object/);
  });

  it('refuses a current event that lacks what its version adds: only older versions are upcast', () => {
    expect(decodeFailure('session.created', 2, created)).toMatch(/data\.deciderVersion: /);
    expect(decodeFailure('model.requested', 3, requested)).toMatch(/data\.digestScheme: /);
  });

  it('refuses a version it has no upcaster for, naming the versions it reads', () => {
    expect(decodeFailure('model.requested', 4, { ...requested, digestScheme: 'message-chain' })).toMatch(/v: 4 is not a version of model\.requested this code reads \(it reads up to 3\)/);
    expect(decodeFailure('tool.completed', 2, { callId: 'c1', tool: 'workspace.read', output: '', durationMs: 1 })).toMatch(/v: 2 is not a version/);
  });
});

describe('the upcaster table', () => {
  it.each(eventTypes)('reads every version of %s from 1 to the current one, each raised to the current one', (type) => {
    const current = eventVersion(type);
    expect(readableVersions(type)).toEqual(Array.from({ length: current }, (_, index) => index + 1));
    for (const v of readableVersions(type)) expect(upcastEvent({ ...meta, type, v, data: {} })).toMatchObject({ v: current });
  });

  it('only raises: each upcaster goes to a later version, none past the current one', () => {
    for (const [type, steps] of Object.entries(upcasters)) {
      for (const [from, { to }] of Object.entries(steps)) {
        expect(to).toBeGreaterThan(Number(from));
        expect(to).toBeLessThanOrEqual(eventVersion(type as EventType));
      }
    }
  });

  it('leaves what is not an event of a known type for the schema to refuse', () => {
    for (const raw of [null, 'text', { type: 'session.renamed', v: 1, data: {} }, { type: 'model.requested', v: '1', data: {} }]) expect(upcastEvent(raw)).toBe(raw);
  });
});
