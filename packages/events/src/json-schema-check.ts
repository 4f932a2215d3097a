import { Validator, type Schema } from '@cfworker/json-schema';

/**
 * JSON checked against a JSON Schema that came from outside (a grader's, an agent's `output`), by an
 * interpreting validator (no code is generated from the schema), with the limits a hostile schema or
 * value needs: the validator recurses, runs `pattern` as a backtracking regular expression, and
 * compares every pair of items under `uniqueItems`.
 */

/** Deeper values are refused unvalidated: the validator recurses, and a hostile depth would overflow its stack. */
export const maxCheckedDepth = 200;
/** `uniqueItems` compares every pair of items (measured: 20,000 objects took 22 s): longer arrays are refused unvalidated under it. */
export const maxUniqueItems = 2_000;
const errorsShown = 5;

/** How a check went: valid, not (with what is wrong, at most a few), or the schema cannot be run safely (`problem`). */
export type JsonCheck = { valid: true } | { valid: false; errors: string[] } | { problem: string };

/**
 * The first keyword of `schema` the checker refuses to run, if any: `pattern` and `patternProperties`
 * would run as backtracking JavaScript regular expressions, which a hostile pattern or value can hang.
 */
export function unsafeSchemaKeyword(schema: unknown): string | undefined {
  if (usesKeyword(schema, 'pattern', (value) => typeof value === 'string')) return 'pattern';
  if (usesKeyword(schema, 'patternProperties')) return 'patternProperties';
  return undefined;
}

/** `value` validated against `schema` (draft 2020-12), within the limits above. */
export function checkJson(schema: unknown, value: unknown): JsonCheck {
  const unsafe = unsafeSchemaKeyword(schema);
  if (unsafe) return { problem: `the schema uses "${unsafe}", which is not run (a backtracking regular expression could hang the validator)` };
  const shape = jsonShapeOf(value, maxCheckedDepth);
  if (shape.depth > maxCheckedDepth) return { valid: false, errors: [`the JSON nests deeper than ${maxCheckedDepth} levels`] };
  if (shape.longestArray > maxUniqueItems && usesKeyword(schema, 'uniqueItems')) {
    return { valid: false, errors: [`an array of ${shape.longestArray} items is more than is checked for uniqueness (${maxUniqueItems})`] };
  }
  let validation: ReturnType<Validator['validate']>;
  try {
    validation = new Validator(schema as Schema, '2020-12', false).validate(value);
  } catch (error) {
    const why = error instanceof RangeError ? 'its $ref recurses without end' : error instanceof Error ? clip(error.message.split('\n')[0] ?? '', 300) : String(error);
    return { problem: why };
  }
  if (validation.valid) return { valid: true };
  // The validator also reports each enclosing keyword ("Property x does not match"); the leaves say what is wrong.
  const leaves = validation.errors.filter((error) => !validation.errors.some((other) => other !== error && other.instanceLocation.startsWith(`${error.instanceLocation}/`) && other.keywordLocation.startsWith(error.keywordLocation)));
  const errors = leaves.length > 0 ? leaves : validation.errors;
  const shown = errors.slice(0, errorsShown).map((error) => `${error.instanceLocation || '#'}: ${clip(error.error, 200)}`);
  if (errors.length > shown.length) shown[shown.length - 1] += ` (and ${errors.length - shown.length} more)`;
  return { valid: false, errors: shown };
}

/** The JSON value a text holds: the whole text, or inside a code fence, or its outermost object. */
export function jsonIn(text: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  const fenced = /^\s*```[a-zA-Z]*[ \t]*\r?\n([\s\S]*?)\r?\n?```\s*$/.exec(text);
  const body = fenced?.[1] ?? text;
  const whole = parse(body);
  if (whole.ok) return whole;
  const start = body.indexOf('{');
  const end = body.lastIndexOf('}');
  if (start >= 0 && end > start) {
    const object = parse(body.slice(start, end + 1));
    if (object.ok) return object;
  }
  return whole;
}

function parse(text: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, problem: `not JSON (${error instanceof Error ? error.message.slice(0, 200) : 'does not parse'})` };
  }
}

/**
 * How deep `value` nests (up to `depthLimit` + 1) and its longest array, found without recursion, so
 * a hostile depth cannot overflow the stack.
 */
export function jsonShapeOf(value: unknown, depthLimit: number): { depth: number; longestArray: number } {
  let depth = 0;
  let longestArray = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, level] = stack.pop() as [unknown, number];
    if (item === null || typeof item !== 'object') continue;
    depth = Math.max(depth, level);
    if (depth > depthLimit) break;
    if (Array.isArray(item)) longestArray = Math.max(longestArray, item.length);
    for (const child of Object.values(item)) stack.push([child, level + 1]);
  }
  return { depth, longestArray };
}

/** Whether some object in `schema` has `keyword` (whose value passes `holds`), found without recursion. */
function usesKeyword(schema: unknown, keyword: string, holds: (value: unknown) => boolean = () => true): boolean {
  const stack: unknown[] = [schema];
  for (let visited = 0; stack.length > 0 && visited < 100_000; visited += 1) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (!Array.isArray(node) && keyword in node && holds((node as Record<string, unknown>)[keyword])) return true;
    stack.push(...(Object.values(node) as unknown[]));
  }
  return false;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
