import { canonicalJson, maxSchemaBytes, maxSchemaDepth, ModelRequest, schemaBoundsProblem } from '@signalbox/events';
import { ModelError } from './provider.ts';

export type ResponseFormat = NonNullable<ModelRequest['responseFormat']>;

export { maxSchemaBytes, maxSchemaDepth };

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
  const walked = schemaBoundsProblem(format.schema);
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
