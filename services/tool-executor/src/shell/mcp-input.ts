import { Validator } from '@cfworker/json-schema';
import type { ToolInput } from './tool.ts';

/** Errors named in one refusal: the model needs the first few to fix its call, not a hundred. */
const errorsShown = 5;
/** Keywords whose errors only say that something inside failed: the error inside says what. */
const enclosing = new Set(['properties', 'items', 'prefixItems', 'allOf', '$ref', 'dependentSchemas', 'contains']);

/**
 * An MCP tool's JSON Schema as its input: the model is shown the schema the server gave, and a call
 * that does not satisfy it is refused before the server sees it. Throws when the schema cannot be
 * compiled (a `$ref` to nowhere, say): such a tool is not offered.
 */
export function jsonSchemaInput(schema: Record<string, unknown>): ToolInput<Record<string, unknown>> {
  // MCP's default dialect is 2020-12; a schema that names another with `$schema` is read as that.
  const validator = new Validator(schema, '2020-12', false);
  return {
    jsonSchema: schema,
    parse: (input) => {
      let result: ReturnType<Validator['validate']>;
      try {
        result = validator.validate(input);
      } catch (error) {
        return { ok: false, problem: `its schema cannot be checked (${error instanceof RangeError ? 'a $ref recurses without end' : String(error)})` };
      }
      if (result.valid) return { ok: true, value: input as Record<string, unknown> };
      const leaves = result.errors.filter((error) => !enclosing.has(error.keyword));
      const shown = (leaves.length > 0 ? leaves : result.errors).slice(0, errorsShown);
      const more = result.errors.length > shown.length && leaves.length > shown.length ? ` (and ${leaves.length - shown.length} more)` : '';
      return { ok: false, problem: shown.map((error) => `${error.instanceLocation.replace(/^#\/?/, '') || '(input)'}: ${error.error.replace(/\.$/, '')}`).join('; ') + more };
    },
  };
}
