import { isMap, isNode, isScalar, LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { z } from 'zod';

/** A file read as definitions of one kind, or every problem with it, one line each, naming the file. */
export type DefinitionFile<T> = { ok: true; definitions: T[] } | { ok: false; problems: string[] };

/**
 * Reads a file of definitions (agents, policies) that `schema` checks: YAML, or JSON when its name
 * ends in `.json`. A file may hold one definition, a list of them, or several YAML documents. Nothing
 * is taken from a file with a syntax error: the YAML library recovers from some (an unclosed list)
 * and would apply a guess. Each problem is a line `file:line:column: what`, the place being the
 * field's (or, for one missing, the map's it belongs in); `kind` names a definition among several.
 */
export function parseDefinitionFile<T>(file: string, text: string, schema: z.ZodType<T>, kind: string): DefinitionFile<T> {
  const documents = file.endsWith('.json') ? jsonDocuments(file, text) : yamlDocuments(file, text);
  if (!documents.ok) return documents;
  const values = documents.values.flatMap(listItems);
  if (values.length === 0) return { ok: false, problems: [`${file}: holds no ${kind}`] };
  const definitions: T[] = [];
  const problems: string[] = [];
  for (const [index, { value, at }] of values.entries()) {
    const parsed = schema.safeParse(value, { reportInput: true });
    if (parsed.success) definitions.push(parsed.data);
    else {
      const which = whichDefinition(kind, values.length, index, value);
      problems.push(...parsed.error.issues.flatMap(problemsOf).map(({ path, text: what, field }) => `${where(file, at(path, field))}: ${which}${what}`));
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, definitions };
}

interface Position {
  line: number;
  col: number;
}

/** A value read from the file, and where a path within it is there (as near as the file has it). */
interface Located {
  value: unknown;
  /** `field`: the place of the last step's key (an unknown field), rather than of its value. */
  at: (path: readonly PropertyKey[], field?: 'key') => Position | undefined;
}

type Documents = { ok: true; values: Located[] } | { ok: false; problems: string[] };

function where(file: string, position: Position | undefined): string {
  return position ? `${file}:${position.line}:${position.col}` : file;
}

/** A document holding a list stands for each of its items. */
function listItems({ value, at }: Located): Located[] {
  if (!Array.isArray(value)) return [{ value, at }];
  return (value as unknown[]).map((item, index) => ({ value: item, at: (path, field) => at([index, ...path], field) }));
}

function jsonDocuments(file: string, text: string): Documents {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const { line, column } = positionOfJsonError(text, (error as Error).message);
    return { ok: false, problems: [`${file}:${line}:${column}: ${(error as Error).message.replace(/ (in JSON )?at position \d+.*$/, '')}`] };
  }
  // JSON is YAML: its parser, which keeps where each node is, finds the fields. The value is JSON.parse's.
  const lineCounter = new LineCounter();
  const [document] = parseAllDocuments(text, { lineCounter });
  const at = document && document.errors.length === 0 ? positionIn(document, lineCounter) : () => undefined;
  return { ok: true, values: [{ value, at }] };
}

/** Where JSON.parse stopped, 1-based; the end of the text when its message gives no position ("Unexpected end of JSON input"). */
export function positionOfJsonError(text: string, message: string): { line: number; column: number } {
  const offset = Number(/at position (\d+)/.exec(message)?.[1] ?? text.length);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

function yamlDocuments(file: string, text: string): Documents {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter });
  const problems = documents.flatMap((document) =>
    document.errors.map((error) => {
      const at = error.linePos?.[0];
      // The library's message repeats the position and adds a drawing of the line: keep its first clause.
      const what = error.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
      return at ? `${file}:${at.line}:${at.col}: ${what}` : `${file}: ${what}`;
    }),
  );
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, values: documents.map((document) => ({ value: document.toJS() as unknown, at: positionIn(document, lineCounter) })) };
}

/** Where the node at `path` starts, or its nearest ancestor's when the file has no such node (a missing field). */
function positionIn(document: Document, lineCounter: LineCounter): Located['at'] {
  return (path, field) => {
    if (field === 'key') {
      const parent: unknown = path.length === 1 ? document.contents : document.getIn(path.slice(0, -1), true);
      const pair = isMap(parent) ? parent.items.find((item) => isScalar(item.key) && item.key.value === path.at(-1)) : undefined;
      if (isScalar(pair?.key) && pair.key.range) return lineCounter.linePos(pair.key.range[0]);
    }
    for (let length = path.length; length >= 0; length -= 1) {
      const node: unknown = length === 0 ? document.contents : document.getIn(path.slice(0, length), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]);
    }
    return undefined;
  };
}

/** In a file of several definitions, which one a problem is in: by name when it has one. */
function whichDefinition(kind: string, count: number, index: number, definition: unknown): string {
  if (count === 1) return '';
  const name = (definition as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? `${kind} "${name}": ` : `${kind} ${index + 1}: `;
}

/** `budget.maxSteps: must be at least 1`: the field's path, then what is wrong with it; one per unknown field. */
function problemsOf(issue: z.core.$ZodIssue): { path: PropertyKey[]; text: string; field?: 'key' }[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...issue.path, key], text: `${pathText([...issue.path, key])}: unknown field`, field: 'key' as const }));
  }
  const path = pathText(issue.path);
  return [{ path: issue.path, text: path ? `${path}: ${problemText(issue)}` : problemText(issue) }];
}

function problemText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return issue.input === undefined ? 'is required' : `must be ${article(issue.expected)}, not ${kindOf(issue.input)}`;
  if (issue.code === 'too_small') return `must be ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}${unitOf(issue.origin)}`;
  if (issue.code === 'too_big') return `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}${unitOf(issue.origin)}`;
  // Our schemas' own messages (a model name's form, a scripted agent's script) already say what to do.
  return issue.message;
}

function pathText(path: readonly PropertyKey[]): string {
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`)).join('');
}

function unitOf(origin: string): string {
  if (origin === 'string') return ' characters long';
  if (origin === 'array' || origin === 'set') return ' items';
  return '';
}

function article(kind: string): string {
  return /^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return `${article(typeof value)} (${JSON.stringify(value)})`;
}
