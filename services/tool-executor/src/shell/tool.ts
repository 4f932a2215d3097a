import type { Context } from '@opentelemetry/api';
import { SecretName, ToolName, type AdvertisedTool } from '@signalbox/events';
import type { Logger } from '@signalbox/runtime';
import { z } from 'zod';
import type { Workspace } from './workspace.ts';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What a tool's `run` gets besides its input. */
export interface ToolContext {
  sessionId: string;
  /** The run's root session: whose workspace this call sees. */
  correlationId: string;
  callId: string;
  /** Same on every redelivery of this call: pass it to external APIs that deduplicate. */
  idempotencyKey: string;
  workspace: Workspace;
  /**
   * Hosts the call's grant names outright, once the executor has checked the grant against the
   * brokers it trusts (none when it trusts none): `http.fetch` may reach these at special addresses.
   */
  namedHosts: readonly string[];
  /**
   * The values of the vault secrets this call needs (the tool's `secrets`), by name, for this call
   * only. Whatever of them the tool returns, throws or writes is masked as `[secret:NAME]`.
   */
  secrets: Readonly<Record<string, string>>;
  /** Aborted when the call times out; the result is then a failure whatever `run` returns. */
  signal: AbortSignal;
  logger: Logger;
  /** The executor's span of this call, when it traces: a tool's outgoing requests carry it (`traceHeadersOf`). */
  traceContext?: Context;
}

/**
 * The vault secrets a tool needs: a list, or the names one call needs, from its input (`http.fetch`
 * needs those its headers name). Each must be granted to the call, or the call fails without running.
 */
export type SecretNeeds<Input> = readonly string[] | Bivariant<(input: Input) => readonly string[]>;

/**
 * A function type checked bivariantly in its parameters (as methods are), so that a tool with a
 * narrower input still fits a catalogue of tools of any input: the executor only ever passes a tool
 * the input its own `parse` returned.
 */
type Bivariant<Fn extends (...args: never[]) => unknown> = { call(...args: Parameters<Fn>): ReturnType<Fn> }['call'];

/**
 * How a tool's input is checked: the JSON Schema the model is shown and the check that calls are
 * held to, built from one schema so that the two cannot disagree.
 */
export interface ToolInput<Input> {
  readonly jsonSchema: Record<string, unknown>;
  /** The input as `run` takes it (defaults filled in), or what is wrong with it, for the model to fix. */
  parse(input: unknown): { ok: true; value: Input } | { ok: false; problem: string };
}

/** A tool the executor can run. `Input` is what `run` takes once the input has been checked. */
export interface ToolSpec<Input = z.infer<z.ZodObject>> {
  readonly name: ToolName;
  readonly description: string;
  readonly input: ToolInput<Input>;
  /** Safe to run twice with the same input. A non-idempotent call interrupted mid-flight has an unknown outcome. */
  readonly idempotent: boolean;
  readonly timeoutMs: number;
  readonly secrets: SecretNeeds<Input>;
  run: Bivariant<(input: Input, context: ToolContext) => JsonValue | Promise<JsonValue>>;
}

export interface ToolOptions<Input extends z.ZodObject> {
  name: string;
  description: string;
  input: Input;
  idempotent?: boolean;
  timeoutMs?: number;
  /** Names of vault secrets (like `GITHUB_TOKEN`) the tool reads from `context.secrets`. */
  secrets?: SecretNeeds<z.infer<Input>>;
  run: (input: z.infer<Input>, context: ToolContext) => JsonValue | Promise<JsonValue>;
}

const defaultTimeoutMs = 60_000;

export function defineTool<Input extends z.ZodObject>(options: ToolOptions<Input>): ToolSpec<z.infer<Input>> {
  return {
    name: ToolName.parse(options.name),
    description: options.description,
    input: zodInput(options.input),
    idempotent: options.idempotent ?? true,
    timeoutMs: options.timeoutMs ?? defaultTimeoutMs,
    secrets: typeof options.secrets === 'function' ? options.secrets : secretNames(options.name, options.secrets ?? []),
    run: options.run,
  };
}

/** A tool that names a secret no vault could hold is a mistake of its author: refused when it is defined. */
function secretNames(tool: string, names: readonly string[]): readonly string[] {
  for (const name of names) {
    if (!SecretName.safeParse(name).success) throw new Error(`tool ${tool} declares the secret "${name}", which is no secret name (letters, digits and "_")`);
  }
  return [...new Set(names)];
}

/** A zod object as a tool's input: the model is shown its JSON Schema as the input side sees it (before defaults). */
function zodInput<Schema extends z.ZodObject>(schema: Schema): ToolInput<z.infer<Schema>> {
  // `$schema` only costs model context: providers take the schema as a plain object.
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, { io: 'input' });
  return {
    jsonSchema,
    parse: (input) => {
      const parsed = schema.safeParse(input);
      return parsed.success ? { ok: true, value: parsed.data } : { ok: false, problem: describeIssues(parsed.error) };
    },
  };
}

/** One `path: message` per issue, so the model can see exactly which field to fix. */
function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(input)'}: ${issue.message}`).join('; ');
}

export function advertisementOf(tool: ToolSpec): AdvertisedTool {
  return { name: tool.name, description: tool.description, inputSchema: tool.input.jsonSchema, idempotent: tool.idempotent };
}
