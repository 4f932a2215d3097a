import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { toolJobDurable, type Naming } from '@signalbox/events';
import { McpServersFile, type InProcessTools, readMcpServersFile, removeDurable, startDurableWorker, type Logger, type McpServerOptions, type RunningWorker, type Service, type ServiceContext } from '@signalbox/runtime';
import { advertiseTools, ContentReferences, readVaultKeys, recordMcpStatus, SecretVault, withdrawTools, WorkspaceFiles, type VaultKeys } from '@signalbox/store';
import { offeredTools } from './core/offered-tools.ts';
import { startMcpServers, type McpServers, type McpServersDeps } from './shell/mcp-servers.ts';
import { kvToolLedger } from './shell/ledger.ts';
import { advertisementOf, type ToolSpec } from './shell/tool.ts';
import { answerDeadToolJob, handleToolJob, runInProcess, type ToolJobDeps } from './shell/tool-jobs.ts';
import { RunningCalls } from './shell/running-calls.ts';
import { toolCatalogue } from './shell/execute.ts';
import { hearInterrupts } from './shell/interrupts-heard.ts';
import { objectStoreOutputs } from './shell/whole-outputs.ts';
import { WorkspaceViews } from './shell/workspace-views.ts';

export interface ToolExecutorOptions {
  tools: readonly ToolSpec[];
  /** Calls of each tool run at once by this process. */
  concurrency?: number;
  /** Deliveries of a job that keeps failing before it is dead-lettered and its session told. */
  maxDeliver?: number;
  /** How long a job may go unacknowledged before another executor gets it (a crashed executor's jobs). */
  ackWaitMs?: number;
  /**
   * Tools this process would offer but cannot run here, and why (`shell.exec` without a sandbox): logged
   * once at start, and named when `SIGNALBOX_EXECUTOR_TOOLS` asks for one of them.
   */
  unavailable?: readonly { tool: string; reason: string }[];
  /** Public NKeys of the brokers whose grants jobs must carry (default: the config's; none: every job runs). */
  grantSigners?: readonly string[];
  /** The vault keys (default: read from the files the config names). */
  vaultKeys?: VaultKeys;
  /** MCP servers whose tools this process offers (default: those of the file `SIGNALBOX_MCP_SERVERS` names; none without it). */
  mcpServers?: readonly McpServerOptions[];
  /**
   * Session actors of this process hand their calls here (`InProcessTools`), when the config's
   * `toolExecutor.inProcess` (SIGNALBOX_EXECUTOR_IN_PROCESS) is on: the first dispatch of each call of
   * an idempotent tool runs here directly, everything else still comes over the jobs stream.
   */
  inProcess?: InProcessTools;
  /** How long a call of a session whose interrupt was heard waits to learn whether it was cancelled (`cancellationWaitMs`; tests lengthen it). */
  cancellationWaitMs?: number;
  /** How often MCP servers are checked and how soon a lost one is restarted (tests shorten them). */
  mcpTiming?: Pick<McpServersDeps, 'healthIntervalMs' | 'firstBackoffMs' | 'connectTimeoutMs'>;
  clock?: () => number;
}

/**
 * Runs the jobs of its tools, from `sbx.jobs.tool.<tool>`, and sends each result to the calling session.
 * Each tool has its own durable consumer, shared by every process that offers the tool: processes may
 * offer different tools, and a job only ever reaches a process that has its tool.
 */
export function toolExecutorService(options: ToolExecutorOptions): Service {
  return {
    name: 'tool-executor',
    start: async (context) => {
      const patterns = context.config.toolExecutor.tools;
      const offered = toolsToOffer(options, patterns, hasMcpServers(context, options), context.logger);
      const tools = new Map(toolCatalogue(offered));
      await removeSharedDurable(context.nc, context.names, context.logger);
      const grantSigners = new Set(options.grantSigners ?? context.config.toolExecutor.grantSigners);
      const vaultKeys = () => options.vaultKeys ?? readVaultKeys(context.config.secrets);
      // Secrets go only to calls whose grant names them, so an executor that checks no grants opens none.
      const openSecret = grantSigners.size > 0 ? vaultOpener(context.nc, context.names, vaultKeys()) : undefined;
      const deps: ToolJobDeps = {
        js: jetstream(context.nc),
        names: context.names,
        logger: context.logger,
        tools,
        workspaceFiles: await WorkspaceFiles.open(context.nc, context.names),
        workspaceViews: new WorkspaceViews(context.store),
        outputs: objectStoreOutputs(await new Objm(context.nc).open(context.names.objectStores.toolOutputs), await ContentReferences.open(context.nc, context.names)),
        ledger: kvToolLedger(await new Kvm(context.nc).open(context.names.buckets.toolLedger)),
        grantSigners,
        ...(openSecret ? { openSecret } : {}),
        instance: context.config.instance,
        now: options.clock ?? Date.now,
        running: new RunningCalls(options.cancellationWaitMs === undefined ? {} : { cancellationWaitMs: options.cancellationWaitMs }),
        metrics: context.metrics,
        ...(context.tracing ? { tracer: context.tracing.tracer } : {}),
      };
      // Ledger writes of calls run for this process's actors, which stopping waits for.
      const recordings = new Set<Promise<void>>();
      const serving = context.config.toolExecutor.inProcess ? options.inProcess?.serve((job, traceparent) => runInProcess(deps, job, traceparent, recordings)) : undefined;
      if (context.config.toolExecutor.inProcess && !options.inProcess) {
        context.logger.warn('SIGNALBOX_EXECUTOR_IN_PROCESS is on, but no session actor runs in this process: every call comes over the jobs stream');
      }
      const interrupts = hearInterrupts(context.nc, context.names, deps.running, context.logger);
      const workers: RunningWorker[] = [];
      // Advertised first, then taken: a tool's jobs are taken only once sessions can see its schema.
      const offer = async (offered: readonly ToolSpec[]) => {
        await advertiseTools(context.nc, context.names, offered.map(advertisementOf));
        workers.push(...(await Promise.all(offered.map((tool) => takeJobs(context, options, tool.name, deps)))));
      };
      await offer(offered);
      // MCP tools come as their servers list them: SIGNALBOX_EXECUTOR_TOOLS picks among them as they do.
      const offerMcp = (listed: readonly ToolSpec[]) => offer(offeredTools(listed, patterns).offered);
      const mcp = await startMcp(context, options, { catalogue: tools, offer: offerMcp, now: deps.now, openSecret: () => vaultOpener(context.nc, context.names, vaultKeys()) });
      return {
        stop: async () => {
          serving?.();
          for (const subscription of interrupts) subscription.unsubscribe();
          await Promise.all(workers.map((worker) => worker.stop()));
          await Promise.all(recordings);
          await mcp?.stop();
        },
      };
    },
  };
}

function takeJobs(context: ServiceContext, options: ToolExecutorOptions, tool: string, deps: ToolJobDeps): Promise<RunningWorker> {
  return startDurableWorker({
    nc: context.nc,
    names: context.names,
    logger: context.logger,
    stream: context.names.streams.jobs,
    durable: toolJobDurable(tool),
    filterSubject: context.names.subjects.toolJob(tool),
    deadLetterSource: 'jobs',
    metrics: context.metrics,
    concurrency: options.concurrency ?? context.config.toolExecutor.concurrency,
    maxDeliver: options.maxDeliver ?? context.config.toolExecutor.maxDeliver,
    ackWaitMs: options.ackWaitMs ?? context.config.ackWaitMs,
    handle: (message) => handleToolJob(deps, message),
    onDeadLetter: (message, reason) => answerDeadToolJob(deps, message, reason),
  });
}

/** A `SIGNALBOX_EXECUTOR_TOOLS` entry that names no tool this process has: it would wait for jobs it never takes. */
export class UnofferedToolError extends Error {
  override readonly name = 'UnofferedToolError';
  readonly code = 'unoffered_tool';
}

/**
 * The tools of `options` the config's `SIGNALBOX_EXECUTOR_TOOLS` selects (all when unset), after saying
 * which cannot run here. An `mcp.` pattern is checked only when no MCP server is configured: servers'
 * tools are known once they list them.
 */
function toolsToOffer(options: ToolExecutorOptions, patterns: readonly string[] | undefined, withMcp: boolean, logger: Logger): ToolSpec[] {
  for (const { tool, reason } of options.unavailable ?? []) logger.warn({ tool, reason }, `not offering ${tool}: ${reason}`);
  const { offered, unmatched: missing } = offeredTools(options.tools, patterns);
  const unmatched = withMcp ? missing.filter((pattern) => !pattern.startsWith('mcp.')) : missing;
  if (unmatched.length > 0) {
    const why = (pattern: string) => options.unavailable?.find(({ tool }) => offeredTools([{ name: tool }], [pattern]).offered.length > 0)?.reason;
    const problems = unmatched.map((pattern) => `${pattern} (${why(pattern) ?? `no such tool; this executor has ${options.tools.map((tool) => tool.name).join(', ')}`})`);
    throw new UnofferedToolError(`SIGNALBOX_EXECUTOR_TOOLS names tools this executor cannot offer: ${problems.join('; ')}`);
  }
  return offered;
}

/** What starting MCP servers takes from the executor: its live catalogue, how it offers tools, its clock and vault. */
interface McpHooks extends Pick<McpServersDeps, 'catalogue' | 'offer' | 'now'> {
  openSecret: () => (name: string) => Promise<string>;
}

function hasMcpServers(context: ServiceContext, options: ToolExecutorOptions): boolean {
  return options.mcpServers ? options.mcpServers.length > 0 : context.config.toolExecutor.mcpServersFile !== undefined;
}

/** The MCP servers of `options` (else of the file `SIGNALBOX_MCP_SERVERS` names), connected; undefined when there are none. */
async function startMcp(context: ServiceContext, options: ToolExecutorOptions, hooks: McpHooks): Promise<McpServers | undefined> {
  const file = context.config.toolExecutor.mcpServersFile;
  const servers = options.mcpServers ? McpServersFile.parse({ servers: options.mcpServers }).servers : file === undefined ? [] : await readMcpServersFile(file);
  if (servers.length === 0) return undefined;
  return startMcpServers(servers, {
    ...options.mcpTiming,
    // The server's own environment or headers are opened with this executor's key, grant or not: no call sees them.
    openSecret: hooks.openSecret(),
    logger: context.logger,
    now: hooks.now,
    catalogue: hooks.catalogue,
    offer: hooks.offer,
    withdraw: (gone) => withdrawTools(context.nc, context.names, gone),
    record: (status) => recordMcpStatus(context.nc, context.names, { ...status, instance: context.config.instance }),
  });
}

/** Opens secrets with the keys this process holds; the bucket is opened at the first secret a call needs. */
function vaultOpener(nc: NatsConnection, names: Naming, keys: VaultKeys): (name: string) => Promise<string> {
  let vault: Promise<SecretVault> | undefined;
  return async (name) => {
    if (keys.current === undefined && keys.previous === undefined) throw new Error('this executor holds no vault key: set SIGNALBOX_SECRETS_KEY_FILE');
    vault ??= SecretVault.open(nc, names).catch((error: unknown) => {
      vault = undefined;
      throw error;
    });
    return (await vault).open(name, keys);
  };
}

/** What executors before per-tool consumers shared, on every tool's jobs. */
const sharedDurable = 'tool-executor';

/**
 * A work-queue stream refuses consumers whose subjects overlap, so the one durable that executors
 * before per-tool consumers shared has to go first. Its unacknowledged jobs stay in the stream and
 * reach the per-tool consumers. An executor of that older kind still running would make it again.
 */
async function removeSharedDurable(nc: NatsConnection, names: Naming, logger: Logger): Promise<void> {
  if (await removeDurable(nc, names.streams.jobs, sharedDurable)) {
    logger.warn({ durable: sharedDurable }, 'removed the durable that executors shared before each tool had its own; stop any executor of that version');
  }
}
