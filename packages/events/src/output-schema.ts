import { z } from 'zod';
import { canonicalJson } from './canonical-json.ts';
import { holdsProtoKey } from './json-data.ts';
import { jsonShapeOf, unsafeSchemaKeyword } from './json-schema-check.ts';

/** The bounds of an `output` schema: a real one is a few KiB and a handful of levels deep; providers bill for it as prompt tokens. */
export const maxOutputSchemaBytes = 64 * 1024;
export const maxOutputSchemaDepth = 32;

/**
 * The JSON Schema a session's final answer must satisfy (an agent's or a task's `output`, decider
 * version 12 on). Its root is an object schema, as the providers' structured output requires; it is
 * bounded, and it may not use `pattern` or `patternProperties`, which the validator would run as
 * backtracking regular expressions (use `enum`, `format` or a length instead).
 */
export const OutputSchema = z.record(z.string(), z.unknown()).superRefine((schema, context) => {
  const problem = outputSchemaProblem(schema);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});
export type OutputSchema = z.infer<typeof OutputSchema>;

function outputSchemaProblem(schema: Record<string, unknown>): string | undefined {
  // The depth first: every check after it walks the schema.
  if (jsonShapeOf(schema, maxOutputSchemaDepth).depth > maxOutputSchemaDepth) return `an output schema may nest at most ${maxOutputSchemaDepth} levels deep`;
  if (holdsProtoKey(schema)) return 'an output schema may not hold the key "__proto__"';
  const bytes = Buffer.byteLength(canonicalJson(schema), 'utf8');
  if (bytes > maxOutputSchemaBytes) return `an output schema may be at most ${maxOutputSchemaBytes} bytes as JSON, not ${bytes}`;
  if (schema['type'] !== 'object') return 'an output schema\'s root must be an object schema ("type": "object"), as the providers\' structured output requires';
  const unsafe = unsafeSchemaKeyword(schema);
  if (unsafe) return `an output schema may not use "${unsafe}": the validator would run it as a backtracking regular expression (use enum, format or maxLength)`;
  return undefined;
}
