import { AgentDefinition } from '@signalbox/events';
import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';

/** An agent file read as definitions, or every problem with it, one line each, naming the file. */
export type AgentFile = { ok: true; agents: AgentDefinition[] } | { ok: false; problems: string[] };

/**
 * Reads an agent file (`agents apply -f`): YAML, or JSON when its name ends in `.json`. A file may
 * hold one agent, a list of them, or several YAML documents. Nothing is taken from a file with a
 * syntax error: the YAML library recovers from some (an unclosed list) and would apply a guess.
 */
export function parseAgentFile(file: string, text: string): AgentFile {
  const documents = file.endsWith('.json') ? jsonDocuments(file, text) : yamlDocuments(file, text);
  if (!documents.ok) return documents;
  const definitions = documents.values.flatMap((value) => (Array.isArray(value) ? (value as unknown[]) : [value]));
  if (definitions.length === 0) return { ok: false, problems: [`${file}: holds no agent`] };
  const agents: AgentDefinition[] = [];
  const problems: string[] = [];
  for (const [index, definition] of definitions.entries()) {
    const parsed = AgentDefinition.safeParse(definition, { reportInput: true });
    if (parsed.success) agents.push(parsed.data);
    else problems.push(...parsed.error.issues.map((issue) => `${file}: ${whichAgent(definitions.length, index, definition)}${issueText(issue)}`));
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, agents };
}

type Documents = { ok: true; values: unknown[] } | { ok: false; problems: string[] };

function jsonDocuments(file: string, text: string): Documents {
  try {
    return { ok: true, values: [JSON.parse(text)] };
  } catch (error) {
    const { line, column } = positionOfJsonError(text, (error as Error).message);
    return { ok: false, problems: [`${file}:${line}:${column}: ${(error as Error).message.replace(/ (in JSON )?at position \d+.*$/, '')}`] };
  }
}

/** Where JSON.parse stopped, 1-based; the end of the text when its message gives no position ("Unexpected end of JSON input"). */
export function positionOfJsonError(text: string, message: string): { line: number; column: number } {
  const offset = Number(/at position (\d+)/.exec(message)?.[1] ?? text.length);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

function yamlDocuments(file: string, text: string): Documents {
  const documents = parseAllDocuments(text);
  const problems = documents.flatMap((document) =>
    document.errors.map((error) => {
      const where = error.linePos?.[0];
      // The library's message repeats the position and adds a drawing of the line: keep its first clause.
      const what = error.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
      return where ? `${file}:${where.line}:${where.col}: ${what}` : `${file}: ${what}`;
    }),
  );
  return problems.length > 0 ? { ok: false, problems } : { ok: true, values: documents.map((document) => document.toJS() as unknown) };
}

/** In a file of several agents, which one a problem is in: by name when it has one. */
function whichAgent(count: number, index: number, definition: unknown): string {
  if (count === 1) return '';
  const name = (definition as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? `agent "${name}": ` : `agent ${index + 1}: `;
}

/** `budget.maxSteps: must be at least 1`: the field's path, then what is wrong with it. */
export function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${pathText([...issue.path, key])}: unknown field`).join('; ');
  const path = pathText(issue.path);
  return path ? `${path}: ${problemText(issue)}` : problemText(issue);
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
