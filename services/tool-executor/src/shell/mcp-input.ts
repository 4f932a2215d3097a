import { checkJson } from '@signalbox/events';
import type { ToolInput } from './tool.ts';

/**
 * An MCP tool's JSON Schema as its input: the model is shown the schema, and a call that does not
 * satisfy it is refused before the server sees it. The check is the project's hardened one
 * (`checkJson`: depth and `uniqueItems` limits, no backtracking `pattern`), so the schema given here
 * is the one `planMcpTools` left without patterns.
 */
export function jsonSchemaInput(schema: Record<string, unknown>): ToolInput<Record<string, unknown>> {
  return {
    jsonSchema: schema,
    parse: (input) => {
      const check = checkJson(schema, input);
      if ('problem' in check) return { ok: false, problem: `its schema cannot be checked (${check.problem})` };
      return check.valid ? { ok: true, value: input as Record<string, unknown> } : { ok: false, problem: check.errors.join('; ') };
    },
  };
}
