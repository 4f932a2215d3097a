import { describe, expect, it } from 'vitest';
import { GraderSpec, maxCheckedDepth, maxUniqueItems } from '@signalbox/events';
import { gradeJsonSchema } from './json-schema-grader.ts';

const schemaGrader = (schema: unknown) => GraderSpec.parse({ kind: 'json_schema', name: 'shape', schema }) as Extract<GraderSpec, { kind: 'json_schema' }>;
const person = schemaGrader({ type: 'object', required: ['name', 'age'], properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 } } });

describe('the json_schema grader', () => {
  it('passes JSON that satisfies the schema, bare or in a code fence', () => {
    expect(gradeJsonSchema(person, '{"name": "Ada", "age": 36}')).toEqual({ name: 'shape', kind: 'json_schema', passed: true, score: 1, reason: 'the output is JSON that satisfies the schema' });
    expect(gradeJsonSchema(person, '```json\n{"name": "Ada", "age": 36}\n```')).toMatchObject({ passed: true });
  });

  it('fails JSON that does not, listing the first errors where they are', () => {
    const result = gradeJsonSchema(person, '{"name": 7, "age": -1}');
    expect(result).toMatchObject({ passed: false, score: 0 });
    expect('reason' in result && result.reason).toBe('the output does not satisfy the schema: #/name: Instance type "number" is invalid. Expected "string".; #/age: -1 is less than 0.');
  });

  it('lists at most five errors, counting the rest', () => {
    const many = schemaGrader({ type: 'array', items: { type: 'string' } });
    const result = gradeJsonSchema(many, JSON.stringify(Array.from({ length: 40 }, (_, i) => i)));
    expect('reason' in result && result.reason).toMatch(/\(and \d+ more\)$/);
    expect('reason' in result && result.reason.split('; ')).toHaveLength(5);
  });

  it('fails an output that is not JSON, saying so without echoing it', () => {
    const result = gradeJsonSchema(person, `Sure! Here it is: ${'blah '.repeat(200_000)}`);
    expect(result).toMatchObject({ passed: false, reason: expect.stringMatching(/^the output is not JSON/) });
    expect('reason' in result && result.reason.length).toBeLessThanOrEqual(2_000);
  });

  it('fails a deeply nested output without overflowing the stack, and validates a huge flat one', () => {
    const recursive = schemaGrader({ type: 'object', properties: { a: { $ref: '#' } } });
    const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    expect(gradeJsonSchema(recursive, deep)).toMatchObject({ passed: false, reason: `the output does not satisfy the schema: the JSON nests deeper than ${maxCheckedDepth} levels` });
    const big = JSON.stringify(Array.from({ length: 50_000 }, (_, i) => `item ${i}`));
    expect(gradeJsonSchema(schemaGrader({ type: 'array', items: { type: 'string' } }), big)).toMatchObject({ passed: true });
  });

  it('fails unvalidated an array too long to check for uniqueness (every pair compared), and checks a short one', () => {
    const unique = schemaGrader({ type: 'array', uniqueItems: true });
    const started = performance.now();
    const long = JSON.stringify(Array.from({ length: 50_000 }, (_, i) => ({ k: `item ${i}` })));
    expect(gradeJsonSchema(unique, long)).toMatchObject({ passed: false, reason: `the output does not satisfy the schema: an array of 50000 items is more than is checked for uniqueness (${maxUniqueItems})` });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(gradeJsonSchema(unique, JSON.stringify([1, 2, 1]))).toMatchObject({ passed: false });
    expect(gradeJsonSchema(unique, JSON.stringify(Array.from({ length: 1_000 }, (_, i) => i)))).toMatchObject({ passed: true });
  });

  it('makes a schema whose $ref loops a problem, not a crash', () => {
    expect(gradeJsonSchema(schemaGrader({ $ref: '#' }), '{}')).toEqual({ problem: 'the json_schema grader "shape" cannot validate with its schema: its $ref recurses without end' });
    const loop = schemaGrader({ $defs: { a: { $ref: '#/$defs/b' }, b: { $ref: '#/$defs/a' } }, $ref: '#/$defs/a' });
    expect(gradeJsonSchema(loop, '1')).toHaveProperty('problem');
    expect(gradeJsonSchema(schemaGrader({ $ref: 'https://example.com/elsewhere' }), '1')).toMatchObject({ problem: expect.stringContaining('Unresolved $ref') });
  });

  it('refuses to run regular expressions from a schema (backtracking could hang it): a problem naming the keyword', () => {
    const started = performance.now();
    expect(gradeJsonSchema(schemaGrader({ type: 'string', pattern: '(a+)+$' }), JSON.stringify(`${'a'.repeat(40)}!`))).toMatchObject({ problem: expect.stringContaining('uses "pattern"') });
    expect(gradeJsonSchema(schemaGrader({ type: 'object', properties: { x: { patternProperties: { '(a+)+$': {} } } } }), '{}')).toMatchObject({ problem: expect.stringContaining('"patternProperties"') });
    expect(performance.now() - started).toBeLessThan(1_000);
    // A property that happens to be called "pattern" is no regular expression.
    expect(gradeJsonSchema(schemaGrader({ type: 'object', properties: { pattern: { type: 'string' } } }), '{"pattern": "x"}')).toMatchObject({ passed: true });
  });
});
