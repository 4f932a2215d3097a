import type { Context } from '@opentelemetry/api';
import { toolCallResult, type ToolGrant, type ToolJob, type ToolOutcome, type ToolResult } from '@signalbox/events';
import type { Logger } from '@signalbox/runtime';
import { maskSecrets } from '@signalbox/store';
import { maskingLogger } from './masking-logger.ts';
import type { JsonValue, ToolContext, ToolSpec } from './tool.ts';
import type { OutputKeeper } from './whole-outputs.ts';
import type { CallWorkspace } from './workspace.ts';

/** A call's input once its tool's `input.parse` has accepted it. */
type CheckedInput = Parameters<ToolSpec['run']>[0];

/** The tools one executor runs, by name. */
export type ToolCatalogue = ReadonlyMap<string, ToolSpec>;

/** Two tools under one name: which one a call meant would depend on start-up order. */
export class DuplicateToolError extends Error {
  override readonly name = 'DuplicateToolError';
  readonly code = 'duplicate_tool';
  constructor(tool: string) {
    super(`tool "${tool}" is defined more than once`);
  }
}

export function toolCatalogue(tools: readonly ToolSpec[]): ToolCatalogue {
  const catalogue = new Map<string, ToolSpec>();
  for (const tool of tools) {
    if (catalogue.has(tool.name)) throw new DuplicateToolError(tool.name);
    catalogue.set(tool.name, tool);
  }
  return catalogue;
}

/** A call that outran its tool's `timeoutMs`. */
export class ToolTimeoutError extends Error {
  override readonly name = 'ToolTimeoutError';
  readonly code = 'tool_timeout';
  constructor(tool: string, timeoutMs: number) {
    super(`${tool} did not finish within ${timeoutMs} ms`);
  }
}

/** A call its session's interrupt stopped. */
export class ToolInterruptedError extends Error {
  override readonly name = 'ToolInterruptedError';
  readonly code = 'tool_interrupted';
  constructor(by: string) {
    super(`stopped before it finished: the session was interrupted by ${by}`);
  }
}

/** What the shell provides for one job: the run's workspace, where long outputs are kept, a logger for the call, the clock. */
export interface ExecutionEnvironment {
  workspace: CallWorkspace;
  /** Aborted when the call's session is interrupted (with a `ToolInterruptedError`): the tool is told through its signal. */
  stopped?: AbortSignal;
  /**
   * The job's grant, once checked against the brokers the executor trusts. An unchecked one is not
   * passed: whoever may publish a job could write any hosts into it.
   */
  grant?: Pick<ToolGrant, 'namedHosts' | 'secrets'>;
  /** Opens a vault secret by name; absent: this executor opens none (it checks no grants, or holds no vault). */
  openSecret?: (name: string) => Promise<string>;
  outputs: OutputKeeper;
  logger: Logger;
  now(): number;
  /** The job's span, when the executor traces: a tool's outgoing requests carry it as `traceparent`. */
  traceContext?: Context;
}

/**
 * Runs one tool call and says how it went. Every expected failure (unknown tool, invalid input,
 * a tool that throws or times out) is a failed result the model can read and act on, never a throw.
 */
export async function execute(tools: ToolCatalogue, job: ToolJob, environment: ExecutionEnvironment): Promise<ToolResult> {
  const startedAt = environment.now();
  const outcome = withRevision(await outcomeOf(tools, job, environment), environment.workspace.revision);
  return toolCallResult(job, outcome, Math.max(0, environment.now() - startedAt));
}

/** The workspace revision the call's writes left, recorded in its outcome: a fork or replay at this call sees the files as they were. */
function withRevision(outcome: ToolOutcome, workspaceRevision: number | undefined): ToolOutcome {
  return workspaceRevision === undefined || outcome.status === 'unknown' ? outcome : { ...outcome, workspaceRevision };
}

async function outcomeOf(tools: ToolCatalogue, job: ToolJob, environment: ExecutionEnvironment): Promise<ToolOutcome> {
  const tool = tools.get(job.tool);
  if (!tool) {
    const known = [...tools.keys()].sort().join(', ') || '(none)';
    return { status: 'failed', error: `unknown tool "${job.tool}"; the tools available are: ${known}` };
  }
  const parsed = tool.input.parse(job.input);
  if (!parsed.ok) return { status: 'failed', error: `invalid input for ${tool.name}: ${parsed.problem}` };
  const opened = await secretsFor(tool, parsed.value, environment);
  if ('refused' in opened) return { status: 'failed', error: opened.refused };
  // Whatever the call returns, throws, writes or logs is masked before anything records or sends it.
  const mask = (text: string) => maskSecrets(text, opened.secrets);
  let output: JsonValue;
  try {
    const holding = opened.secrets.size === 0 ? environment : { ...environment, workspace: maskingWrites(environment.workspace, mask), logger: maskingLogger(environment.logger, mask) };
    output = await runWithTimeout(tool, parsed.value, job, holding, opened.secrets);
  } catch (error) {
    return { status: 'failed', error: truncated(mask(error instanceof Error ? error.message : String(error))) };
  }
  return completed(mask(typeof output === 'string' ? output : JSON.stringify(output ?? null)), job.sessionId, environment);
}

/**
 * The values of the secrets the call needs, each granted to it, or why the call cannot run: a secret
 * its grant does not give (an unchecked grant gives none), or one the vault cannot open. Names only.
 */
async function secretsFor(tool: ToolSpec, input: CheckedInput, environment: ExecutionEnvironment): Promise<{ secrets: Map<string, string> } | { refused: string }> {
  const needed = typeof tool.secrets === 'function' ? [...new Set(tool.secrets(input))] : tool.secrets;
  const secrets = new Map<string, string>();
  if (needed.length === 0) return { secrets };
  const granted = new Set(environment.grant?.secrets ?? []);
  const missing = needed.filter((name) => !granted.has(name));
  if (missing.length > 0) {
    const how = environment.grant === undefined ? 'this executor checks no grants (SIGNALBOX_GRANT_SIGNERS), so it opens no secret' : "the call's policy does not grant it";
    return { refused: `${tool.name} needs the secret${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: ${how}` };
  }
  const { openSecret } = environment;
  if (openSecret === undefined) return { refused: `${tool.name} needs the secrets ${needed.join(', ')}, and this executor has no vault to open them` };
  for (const name of needed) {
    try {
      secrets.set(name, await openSecret(name));
    } catch (error) {
      environment.logger.error({ err: error, secret: name }, 'could not open a granted secret');
      return { refused: `${tool.name} needs the secret ${name}, which cannot be opened: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  return { secrets };
}

/** A call holding secrets writes into its workspace with them masked: a file outlives the call. */
function maskingWrites(workspace: CallWorkspace, mask: (text: string) => string): CallWorkspace {
  const write: CallWorkspace['write'] = async (path, content, expectation) => {
    const text = Buffer.from(content).toString('utf8');
    const masked = mask(text);
    return workspace.write(path, masked === text ? content : new TextEncoder().encode(masked), expectation);
  };
  return Object.assign(Object.create(workspace) as CallWorkspace, { write });
}

/**
 * An output too long to carry is kept whole in the tool-outputs store: the result carries its beginning
 * and the stored output's sha256, so nothing the tool returned is lost. If it cannot be stored, the
 * result still goes out with the beginning only: the call has run, and its session must hear of it.
 */
async function completed(text: string, sessionId: string, environment: ExecutionEnvironment): Promise<ToolOutcome> {
  if (text.length <= maxResultChars) return { status: 'completed', output: text };
  try {
    const wholeOutput = await environment.outputs.keep(text, sessionId);
    return { status: 'completed', output: truncated(text, `the whole output is stored as tool output ${wholeOutput.sha256}`), wholeOutput };
  } catch (error) {
    environment.logger.error({ err: error, chars: text.length }, 'could not store a long tool output whole; sending its beginning only');
    return { status: 'completed', output: truncated(text) };
  }
}

async function runWithTimeout(tool: ToolSpec, input: CheckedInput, job: ToolJob, environment: ExecutionEnvironment, secrets: ReadonlyMap<string, string>): Promise<JsonValue> {
  const controller = new AbortController();
  const context: ToolContext = {
    sessionId: job.sessionId,
    correlationId: job.correlationId,
    callId: job.callId,
    idempotencyKey: job.idempotencyKey,
    workspace: environment.workspace,
    namedHosts: environment.grant?.namedHosts ?? [],
    secrets: Object.freeze(Object.fromEntries(secrets)),
    signal: controller.signal,
    logger: environment.logger,
    ...(environment.traceContext ? { traceContext: environment.traceContext } : {}),
  };
  let timer: NodeJS.Timeout | undefined;
  const { stopped } = environment;
  let onStop: (() => void) | undefined;
  // A tool that ignores its signal still cannot hold the call past its timeout, or past an interrupt.
  const cutShort = new Promise<never>((_, reject) => {
    const end = (error: Error) => {
      controller.abort(error);
      reject(error);
    };
    timer = setTimeout(() => end(new ToolTimeoutError(tool.name, tool.timeoutMs)), tool.timeoutMs);
    onStop = () => end(stopped?.reason instanceof Error ? stopped.reason : new ToolInterruptedError('someone'));
    if (stopped?.aborted) onStop();
    else stopped?.addEventListener('abort', onStop, { once: true });
  });
  try {
    // Cancelled before it began (an interrupt heard while it waited): the tool is not run at all.
    if (stopped?.aborted) return await cutShort;
    return await Promise.race([Promise.resolve().then(() => tool.run(input, context)), cutShort]);
  } finally {
    clearTimeout(timer);
    if (onStop) stopped?.removeEventListener('abort', onStop);
  }
}

/**
 * Characters of output or error a result carries. At 4 bytes a character at worst this stays under
 * the streams' 1 MiB message limit; a larger result could never be published and would block the call.
 * A longer output is stored whole (see `completed`).
 */
export const maxResultChars = 200_000;

function truncated(text: string, whereTheRestIs?: string): string {
  if (text.length <= maxResultChars) return text;
  const note = `truncated: ${text.length - maxResultChars} of ${text.length} characters not shown${whereTheRestIs ? `; ${whereTheRestIs}` : ''}`;
  return `${text.slice(0, maxResultChars)}\n[${note}]`;
}
