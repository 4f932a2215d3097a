import { createHash } from 'node:crypto';
import type { NatsConnection } from '@nats-io/nats-core';
import type { JsMsg } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { readAdvertisedTools, UnadvertisedToolsError, type EventStore } from '@signalbox/store';
import { AgentDefinition, replyToHeader, sessionToolNames, ToolDefinition, type Naming, type TaskOutcome } from '@signalbox/events';
import { positionOf, Rejection, type Logger } from '@signalbox/runtime';
import { ulid } from 'ulid';
import { budgetOverCeiling, type BudgetCeiling } from '../core/budget-ceiling.ts';
import { checkReplySubject, type ReplySubject } from '../core/reply-subject.ts';
import { admitTask, ungradableTask } from '../core/task-admission.ts';
import type { SessionRunner } from './session-runner.ts';

export interface TaskIngressDeps {
  nc: NatsConnection;
  names: Naming;
  store: EventStore;
  agents: KV;
  runner: SessionRunner;
  maxTaskBytes: number;
  logger: Logger;
  /** The installation's budget ceiling, for agents that set none of their own. */
  budgetCeiling: BudgetCeiling;
}

/**
 * Starts a session for a task from `sbx.tasks.<agent>`. A task that can never start is rejected
 * (and so dead-lettered, then answered by `answerDeadTask`); a publisher that set `Sbx-Reply-To`
 * hears the outcome either way, if it named an inbox (`checkReplySubject`).
 */
export async function handleTask(deps: TaskIngressDeps, message: JsMsg): Promise<void> {
  const contentType = message.headers?.get('Content-Type') || undefined;
  const admission = admitTask({ subject: message.subject, data: message.data, contentType }, deps.names.prefix, deps.maxTaskBytes);
  const replyTo = replySubjectOf(deps, message, admission.ok ? (admission.task.sessionId ?? sessionIdFor(message)) : undefined);
  const reply = (outcome: TaskOutcome) => {
    if (replyTo) deps.nc.publish(replyTo, JSON.stringify(outcome));
  };
  if (!admission.ok) throw new Rejection(admission.reason);
  const agent = await loadAgent(deps.agents, admission.agent);
  const { task } = admission;
  const overCeiling = budgetOverCeiling(task.budget ?? {}, agent, deps.budgetCeiling);
  if (overCeiling) throw new Rejection(`the task's budget is refused: ${overCeiling}`);
  const ungradable = ungradableTask(task, agent);
  if (ungradable) throw new Rejection(ungradable);
  const sessionId = task.sessionId ?? sessionIdFor(message);
  const { tools, nonIdempotentTools } = await sessionTools(deps, sessionToolNames(agent, task));
  const budget = { ...agent.budget, ...task.budget };
  const command = { type: 'StartSession' as const, sessionId, correlationId: sessionId, agent, tools, input: task.input, budget, rubric: task.rubric, metadata: task.metadata, taskPolicy: task.policy, outcome: task.outcome, memory: task.memory, output: task.output, nonIdempotentTools };
  await deps.runner.execute(sessionId, command, {
    causationId: positionOf(message),
    onDecided: (appended) => reply({ status: appended > 0 ? 'accepted' : 'duplicate', sessionId }),
  });
}

/**
 * A dead-lettered task: its publisher hears why, with the dead letter's sequence where the reason
 * says `<seq>` (what to re-drive), once it is kept; and a session it started fails.
 */
export async function answerDeadTask(deps: TaskIngressDeps, message: JsMsg, reason: string, seq: number): Promise<void> {
  const replyTo = askedReplySubject(message);
  if (replyTo?.ok) deps.nc.publish(replyTo.subject, JSON.stringify({ status: 'rejected', error: reason.replaceAll('<seq>', String(seq)) } satisfies TaskOutcome));
  await failSessionStartedBy(deps, message, reason);
}

/**
 * A task dead-lettered after its session started (its workers kept dying, say) fails that session
 * with the reason, rather than leaving it half-started. Only the session this very task created.
 */
async function failSessionStartedBy(deps: TaskIngressDeps, message: JsMsg, reason: string): Promise<void> {
  const contentType = message.headers?.get('Content-Type') || undefined;
  const admission = admitTask({ subject: message.subject, data: message.data, contentType }, deps.names.prefix, deps.maxTaskBytes);
  if (!admission.ok) return;
  const sessionId = admission.task.sessionId ?? sessionIdFor(message);
  const created = await deps.store.first(sessionId);
  if (created?.causationId !== positionOf(message)) return;
  await deps.runner.execute(sessionId, { type: 'FailSession', reason: `the task could not be processed: ${reason}` }, {
    causationId: positionOf(message),
  });
}

/**
 * The task's reply subject if it may be published to. A refused one is ignored (the task is still
 * handled) and logged on the task's first delivery only, so a redelivered task does not repeat it.
 */
function replySubjectOf(deps: TaskIngressDeps, message: JsMsg, sessionId: string | undefined): string | undefined {
  const checked = askedReplySubject(message);
  if (checked === undefined) return undefined;
  if (checked.ok) return checked.subject;
  if (message.info.deliveryCount === 1) {
    deps.logger.warn({ task: positionOf(message), sessionId, correlationId: sessionId }, `${checked.reason}; the task is handled, without a reply`);
  }
  return undefined;
}

/**
 * A new session's tools as their executors advertised them (the runtime's own as it does), and those
 * not safe to run twice; a tool nobody advertised refuses the start (`refuseUnadvertised`).
 */
export async function sessionTools(deps: Pick<TaskIngressDeps, 'nc' | 'names'>, toolNames: readonly string[]): Promise<{ tools: ToolDefinition[]; nonIdempotentTools: string[] | undefined }> {
  const advertised = await readAdvertisedTools(deps.nc, deps.names, toolNames).catch(refuseUnadvertised);
  const nonIdempotentTools = advertised.filter((tool) => !tool.idempotent).map((tool) => tool.name);
  return { tools: advertised.map((tool) => ToolDefinition.parse(tool)), nonIdempotentTools: nonIdempotentTools.length > 0 ? nonIdempotentTools : undefined };
}

/**
 * A tool no executor has ever advertised does not appear by retrying: the task waits in the dead
 * letters, and its publisher hears what to do, until someone starts an executor and re-drives it.
 */
function refuseUnadvertised(error: unknown): never {
  if (!(error instanceof UnadvertisedToolsError)) throw error;
  throw new Rejection(`no executor has advertised ${error.tools.join(', ')}; start one, then \`signalbox redrive <seq>\``, { cause: error });
}

function askedReplySubject(message: JsMsg): ReplySubject | undefined {
  const asked = message.headers?.get(replyToHeader) || undefined;
  return asked === undefined ? undefined : checkReplySubject(asked);
}

export async function loadAgent(agents: KV, name: string): Promise<AgentDefinition> {
  const entry = await agents.get(name);
  if (!entry || entry.operation !== 'PUT') {
    throw new Rejection(`unknown agent "${name}"; apply it first with \`signalbox agents apply -f <file>\``);
  }
  const parsed = AgentDefinition.safeParse(entry.json());
  if (!parsed.success) throw new Rejection(`agent "${name}" is stored with an invalid definition: ${parsed.error.message}`);
  return parsed.data;
}

/**
 * A task without a session id gets one derived from its place in the tasks stream, so a
 * redelivery after a crash finds the session it already started instead of starting another.
 */
function sessionIdFor(message: JsMsg): string {
  const digest = createHash('sha256').update(positionOf(message)).digest();
  let index = 0;
  return ulid(message.time.getTime(), () => (digest[index++ % digest.length] ?? 0) / 256);
}
