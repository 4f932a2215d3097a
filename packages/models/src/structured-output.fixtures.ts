import type { ModelResponse } from '@signalbox/events';
import type { FakeReply, RecordedRequest } from '@signalbox/testing';
import { expect, it } from 'vitest';
import { ModelError } from './provider.ts';
import { maxSchemaBytes, maxSchemaDepth, type ResponseFormat } from './response-format.ts';

/**
 * Structured-output schemas for the adapters' tests (only tests import this file): one the
 * grader might send, one strict mode would refuse, and hostile ones just past each bound.
 */

/** Meets OpenAI's strict rules: closed objects, every property required. */
export const verdictFormat: ResponseFormat = {
  name: 'verdict',
  schema: {
    type: 'object',
    properties: { passed: { type: 'boolean' }, reason: { type: 'string' } },
    required: ['passed', 'reason'],
    additionalProperties: false,
  },
};

/** An ordinary schema that breaks strict rules (`reason` optional, extra properties allowed). */
export const looseFormat: ResponseFormat = {
  name: 'loose_verdict',
  schema: { type: 'object', properties: { passed: { type: 'boolean' }, reason: { type: 'string' } }, required: ['passed'] },
};

/** A schema whose canonical JSON is exactly `bytes` long: `{"description":"…","type":"string"}`. */
export function paddedSchema(bytes: number): Record<string, unknown> {
  const overhead = '{"description":"","type":"string"}'.length;
  return { type: 'string', description: 'x'.repeat(bytes - overhead) };
}

/** A schema nested exactly `levels` deep in JSON: arrays of arrays, one level per `items`. */
export function nestedSchema(levels: number): Record<string, unknown> {
  let schema: Record<string, unknown> = { type: 'string' };
  for (let level = 1; level < levels; level += 1) schema = { type: 'array', items: schema };
  return schema;
}

/** Just past each bound, with what the refusal says. */
export const hostileFormats: { format: ResponseFormat; says: RegExp }[] = [
  { format: { name: 'huge', schema: paddedSchema(maxSchemaBytes + 1) }, says: new RegExp(`${maxSchemaBytes + 1} bytes as canonical JSON`) },
  { format: { name: 'deep', schema: nestedSchema(maxSchemaDepth + 1) }, says: new RegExp(`more than ${maxSchemaDepth} levels deep`) },
];

/** What a model returns when it ignores the format: the adapters hand it back untouched. */
export const notJson = 'Sure! {"passed": true, "reason": "looks fine"';

/** An adapter wired to its fake server, as the structured-output checks below drive it (see `fakeWire`). */
export interface WireUnderTest {
  /** Queues a 200 reply whose text is `text`. */
  replyText(text: string): void;
  complete(responseFormat?: ResponseFormat): Promise<ModelResponse>;
  /** The request bodies the fake server received, in order. */
  bodies(): readonly unknown[];
}

/** `fake` is read at each call: the tests start a new fake server for every test. */
export function fakeWire(
  fake: () => { reply(...replies: FakeReply[]): void; requests: readonly RecordedRequest[] },
  textReply: (text: string) => FakeReply,
  complete: WireUnderTest['complete'],
): WireUnderTest {
  return { replyText: (text) => fake().reply(textReply(text)), complete, bodies: () => fake().requests.map((sent) => sent.body) };
}

/**
 * Sends the same request without and with `format`, checks that the JSON reply comes back as the
 * text and that the caller's format is unchanged, and returns the body fields the format added:
 * everything else must be what the request without it sent.
 */
export async function structuredOutputFields(wire: WireUnderTest, format: ResponseFormat): Promise<Record<string, unknown>> {
  const verdict = '{"passed":true,"reason":"all tests pass"}';
  wire.replyText('plain');
  wire.replyText(verdict);
  const before = structuredClone(format);
  await wire.complete();
  expect((await wire.complete(format)).content).toEqual([{ type: 'text', text: verdict }]);
  expect(format).toEqual(before);
  const [plain, structured] = wire.bodies() as Record<string, unknown>[];
  const added = Object.fromEntries(Object.entries(structured ?? {}).filter(([key]) => !(key in (plain ?? {}))));
  expect({ ...structured }).toEqual({ ...plain, ...added });
  return added;
}

/** The checks every adapter shares: a reply that is not JSON comes back as it came; hostile schemas never leave. */
export function itLeavesRepliesAndRefusesHostileSchemas(wire: () => WireUnderTest): void {
  it('returns a reply that is not JSON as text, as it came', async () => {
    wire().replyText(notJson);
    expect((await wire().complete(verdictFormat)).content).toEqual([{ type: 'text', text: notJson }]);
  });

  it.each(hostileFormats)('refuses a hostile schema ($format.name) before sending', async ({ format, says }) => {
    const error = await wire().complete(format).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ code: 'invalid_request', retryable: false });
    expect((error as ModelError).message).toMatch(says);
    expect(wire().bodies()).toHaveLength(0);
  });
}

/**
 * OpenAI's two APIs: `strict` only for a schema that already meets strict rules, and the schema as
 * given either way. `fieldsFor` is where each API puts the format on its wire.
 */
export function itSendsStrictOnlyWhenTheSchemaFits(wire: () => WireUnderTest, fieldsFor: (format: ResponseFormat, strict: boolean) => unknown): void {
  it.each([
    ['meets strict rules', true, verdictFormat],
    ['breaks them, and goes as given,', false, looseFormat],
  ])('sends a json_schema format; a schema that %s has strict: %s', async (_label, strict, format) => {
    expect(await structuredOutputFields(wire(), format)).toEqual(fieldsFor(format, strict));
  });
}
