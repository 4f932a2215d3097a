import { Validator, type Schema } from '@cfworker/json-schema';
import type { GraderResult, GraderSpec } from '@signalbox/events';
import { clip } from './clip.ts';
import { jsonIn, shapeOf } from './json-in-text.ts';

type JsonSchemaSpec = Extract<GraderSpec, { kind: 'json_schema' }>;

/** Deeper outputs are failed unvalidated: the validator recurses, and a hostile depth would overflow its stack. */
export const maxOutputDepth = 200;
/** `uniqueItems` compares every pair of items (measured: 20,000 objects took 22 s): longer arrays are failed unvalidated under it. */
export const maxUniqueItems = 2_000;
const errorsShown = 5;

/**
 * The output parsed as JSON (a code fence around it is fine) and validated against the grader's
 * schema, interpreted (no code is generated from it). A schema the grader cannot run safely is a
 * problem, not a fail: `pattern` and `patternProperties` (the validator would run them as
 * backtracking JavaScript regular expressions: use a regex grader), a `$ref` that loops without end,
 * a `$ref` to a schema it does not hold.
 */
export function gradeJsonSchema(spec: JsonSchemaSpec, output: string): GraderResult | { problem: string } {
  const result = (passed: boolean, reason: string): GraderResult => ({ name: spec.name, kind: 'json_schema', passed, score: passed ? 1 : 0, reason: clip(reason, 2_000) });
  const unsafe = unsafeKeyword(spec.schema);
  if (unsafe) return { problem: `the json_schema grader "${spec.name}" uses "${unsafe}", which it does not run (a backtracking regular expression could hang it): check the text with a regex grader instead` };
  const parsed = jsonIn(output);
  if (!parsed.ok) return result(false, `the output is not JSON: ${parsed.problem}`);
  const shape = shapeOf(parsed.value, maxOutputDepth);
  if (shape.depth > maxOutputDepth) return result(false, `the output's JSON nests deeper than ${maxOutputDepth} levels`);
  if (shape.longestArray > maxUniqueItems && usesKeyword(spec.schema, 'uniqueItems')) {
    return result(false, `the output holds an array of ${shape.longestArray} items, more than the grader checks for uniqueness (${maxUniqueItems})`);
  }
  let validation: ReturnType<Validator['validate']>;
  try {
    validation = new Validator(spec.schema as Schema, '2020-12', false).validate(parsed.value);
  } catch (error) {
    const why = error instanceof RangeError ? 'its $ref recurses without end' : error instanceof Error ? clip(error.message.split('\n')[0] ?? '', 300) : String(error);
    return { problem: `the json_schema grader "${spec.name}" cannot validate with its schema: ${why}` };
  }
  if (validation.valid) return result(true, 'the output is JSON that satisfies the schema');
  // The validator also reports each enclosing keyword ("Property x does not match"); the leaves say what is wrong.
  const leaves = validation.errors.filter((error) => !validation.errors.some((other) => other !== error && other.instanceLocation.startsWith(`${error.instanceLocation}/`) && other.keywordLocation.startsWith(error.keywordLocation)));
  const errors = leaves.length > 0 ? leaves : validation.errors;
  const shown = errors.slice(0, errorsShown).map((error) => `${error.instanceLocation}: ${clip(error.error, 200)}`);
  const more = errors.length > shown.length ? ` (and ${errors.length - shown.length} more)` : '';
  return result(false, `the output does not satisfy the schema: ${shown.join('; ')}${more}`);
}

/** The first keyword of `schema` the grader refuses to run, if any. */
function unsafeKeyword(schema: unknown): string | undefined {
  if (usesKeyword(schema, 'pattern', (value) => typeof value === 'string')) return 'pattern';
  if (usesKeyword(schema, 'patternProperties')) return 'patternProperties';
  return undefined;
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
