import { ToolName, type AdvertisedTool } from '@signalbox/events';
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
  /** Aborted when the call times out; the result is then a failure whatever `run` returns. */
  signal: AbortSignal;
  logger: Logger;
}

/** A tool the executor can run: its input schema is both the validator and what the model is shown. */
export interface ToolSpec<Input extends z.ZodObject = z.ZodObject> {
  readonly name: ToolName;
  readonly description: string;
  readonly input: Input;
  /** Safe to run twice with the same input. A non-idempotent call interrupted mid-flight has an unknown outcome. */
  readonly idempotent: boolean;
  readonly timeoutMs: number;
  run: (input: z.infer<Input>, context: ToolContext) => JsonValue | Promise<JsonValue>;
}

export interface ToolOptions<Input extends z.ZodObject> {
  name: string;
  description: string;
  input: Input;
  idempotent?: boolean;
  timeoutMs?: number;
  run: (input: z.infer<Input>, context: ToolContext) => JsonValue | Promise<JsonValue>;
}

const defaultTimeoutMs = 60_000;

export function defineTool<Input extends z.ZodObject>(options: ToolOptions<Input>): ToolSpec<Input> {
  return {
    name: ToolName.parse(options.name),
    description: options.description,
    input: options.input,
    idempotent: options.idempotent ?? true,
    timeoutMs: options.timeoutMs ?? defaultTimeoutMs,
    run: options.run,
  };
}

export function advertisementOf(tool: ToolSpec): AdvertisedTool {
  // `$schema` only costs model context: providers take the schema as a plain object.
  const { $schema: _dialect, ...inputSchema } = z.toJSONSchema(tool.input, { io: 'input' });
  return { name: tool.name, description: tool.description, inputSchema, idempotent: tool.idempotent };
}
