import type { NatsConnection } from '@nats-io/nats-core';
import type { KV } from '@nats-io/kv';
import { sessionToolNames, type ChildResultCommand, type Naming, type SubagentStartCommand } from '@signalbox/events';
import { sendToSession, type Logger, type Rejection } from '@signalbox/runtime';
import type { SessionCommand } from '@signalbox/session';
import { loadAgent, sessionTools } from './task-ingress.ts';

/** What starting a delegation's child session needs: the agents and the tools they are given. */
export interface ChildSessions {
  nc: NatsConnection;
  names: Naming;
  agents: KV;
  logger: Logger;
}

/**
 * The child's start: its agent as stored now, the tools its sessions are given, its budget the agent's
 * own within the slice its parent gave it, and the chain of sessions whose rights bound its own.
 * An agent that cannot be started (unknown, a tool no executor offers) is a Rejection.
 */
export async function childStart(deps: ChildSessions, command: SubagentStartCommand): Promise<Extract<SessionCommand, { type: 'StartSession' }>> {
  const agent = await loadAgent(deps.agents, command.agent);
  const { tools, nonIdempotentTools } = await sessionTools(deps, sessionToolNames(agent));
  const { maxSteps, maxCostUsd } = command.budget;
  const cost = maxCostUsd === undefined ? {} : { maxCostUsd: Math.min(agent.budget.maxCostUsd ?? maxCostUsd, maxCostUsd) };
  return {
    type: 'StartSession',
    sessionId: command.sessionId,
    correlationId: command.correlationId,
    agent,
    tools,
    input: command.task,
    budget: { ...agent.budget, maxSteps: Math.min(agent.budget.maxSteps, maxSteps), ...cost },
    nonIdempotentTools,
    parent: command.parent,
    delegatedBy: command.delegatedBy,
  };
}

/** A child that could not start is a failed result the parent can act on, not a session waiting for ever. */
export async function tellParentNotStarted(deps: ChildSessions, command: SubagentStartCommand, refusal: Rejection): Promise<void> {
  deps.logger.warn({ sessionId: command.parent.sessionId, correlationId: command.correlationId, child: command.sessionId, reason: refusal.message }, 'could not start a child session; its parent is told');
  const result: ChildResultCommand = { type: 'child.result', sessionId: command.parent.sessionId, callId: command.parent.callId, childSessionId: command.sessionId, status: 'failed', reason: `could not start ${command.agent}: ${refusal.message}` };
  await sendToParent(deps, result);
}

/** To the parent's subagents subject, once per child: told again, the stream keeps the first. */
export async function sendToParent(deps: Pick<ChildSessions, 'nc' | 'names'>, result: ChildResultCommand): Promise<void> {
  await sendToSession(deps.nc, deps.names, result.sessionId, result, { messageId: `child/${result.childSessionId}` });
}
