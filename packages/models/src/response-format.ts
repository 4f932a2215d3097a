import { canonicalJson, ModelRequest } from '@signalbox/events';
import { ModelError } from './provider.ts';

export type ResponseFormat = NonNullable<ModelRequest['responseFormat']>;

/**
 * Bounds on a structured-output schema, checked before anything is sent. A verdict schema is a few
 * hundred bytes and a handful of levels deep; anything near these bounds is a bug or hostile input,
 * and the provider would bill for it (the schema is prompt tokens) or refuse it after a round trip.
 */
export const maxSchemaBytes = 64 * 1024;
/** JSON nesting: `{}` is one level, so each nested object schema (`properties` → schema) takes two. */
export const maxSchemaDepth = 32;

const responseFormatShape = ModelRequest.shape.responseFormat.unwrap();

/**
 * The one check every adapter runs on `request.responseFormat` before it sends: the name as the
 * event schema allows it, and the schema a JSON object within the bounds above. It refuses with a
 * non-retryable `invalid_request` and never changes the schema: what passes is sent as given.
 */
export function checkResponseFormat(request: ModelRequest, provider: string): void {
  const format = request.responseFormat;
  if (format === undefined) return;
  const refuse = (why: string) =>
    new ModelError('invalid_request', `${provider}/${request.model}: the response format is refused before sending: ${why}`, {
      retryable: false,
    });
  // The walk comes first: it is bounded, so a cyclic or enormous schema is refused before anything
  // (zod, canonical JSON) recurses into it.
  const walked = walk(format.schema);
  if (walked === 'too_deep') throw refuse(`its schema nests more than ${maxSchemaDepth} levels deep`);
  if (walked === 'too_big') throw refuse(`its schema is larger than ${maxSchemaBytes} bytes as JSON`);
  const shape = responseFormatShape.safeParse(format);
  if (!shape.success) {
    const issue = shape.error.issues[0];
    throw refuse(`${issue?.path.join('.') || 'it'}: ${issue?.message ?? 'unexpected shape'}`);
  }
  let json: string;
  try {
    json = canonicalJson(format.schema);
  } catch (error) {
    throw refuse(`its schema has no JSON form (${error instanceof Error ? error.message : String(error)})`);
  }
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxSchemaBytes) throw refuse(`its schema is ${bytes} bytes as canonical JSON, more than ${maxSchemaBytes}`);
}

/**
 * Depth-first over the schema without recursion, stopping as soon as it is too deep (a cycle is
 * infinitely deep) or has more values than `maxSchemaBytes`: every JSON value takes at least one
 * byte, so that many cannot fit, and the walk never holds or visits more than that many.
 */
function walk(schema: unknown): 'ok' | 'too_deep' | 'too_big' {
  const stack: [unknown, number][] = [[schema, 1]];
  let values = 1;
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (value === null || typeof value !== 'object') continue;
    if (depth > maxSchemaDepth) return 'too_deep';
    for (const child of Object.values(value)) {
      values += 1;
      if (values > maxSchemaBytes) return 'too_big';
      stack.push([child, depth + 1]);
    }
  }
  return 'ok';
}
