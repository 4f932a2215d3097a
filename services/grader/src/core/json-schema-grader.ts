import { checkJson, jsonIn, unsafeSchemaKeyword, type GraderResult, type GraderSpec } from '@signalbox/events';
import { clip } from './clip.ts';

type JsonSchemaSpec = Extract<GraderSpec, { kind: 'json_schema' }>;

/**
 * The output parsed as JSON (a code fence around it is fine) and validated against the grader's
 * schema by `checkJson`. A schema the grader cannot run safely is a problem, not a fail: `pattern`
 * and `patternProperties` (use a regex grader), a `$ref` that loops without end, a `$ref` to a schema
 * it does not hold.
 */
export function gradeJsonSchema(spec: JsonSchemaSpec, output: string): GraderResult | { problem: string } {
  const result = (passed: boolean, reason: string): GraderResult => ({ name: spec.name, kind: 'json_schema', passed, score: passed ? 1 : 0, reason: clip(reason, 2_000) });
  const unsafe = unsafeSchemaKeyword(spec.schema);
  if (unsafe) return { problem: `the json_schema grader "${spec.name}" uses "${unsafe}", which it does not run (a backtracking regular expression could hang it): check the text with a regex grader instead` };
  const parsed = jsonIn(output);
  if (!parsed.ok) return result(false, `the output is not JSON: ${parsed.problem}`);
  const check = checkJson(spec.schema, parsed.value);
  if ('problem' in check) return { problem: `the json_schema grader "${spec.name}" cannot validate with its schema: ${check.problem}` };
  if (check.valid) return result(true, 'the output is JSON that satisfies the schema');
  return result(false, `the output does not satisfy the schema: ${check.errors.join('; ')}`);
}
