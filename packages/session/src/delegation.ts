import { createHash } from 'node:crypto';
import {
  assertNever,
  defaultSubagentConcurrency,
  DelegateInput,
  HandoffInput,
  maxDelegationDepth,
  type ChildBudget,
  type ChildResultCommand,
  type DelegatingSession,
  type EventData,
  type InboxCommand,
  type NewEvent,
  type SubagentStartCommand,
  type Totals,
} from '@signalbox/events';
import { builtInFailed, invalidInput } from './built-in-answers.ts';
import { heldMessages, lastMessage } from './conversation.ts';
import type { SessionEffect } from './next-step.ts';
import { checkedAgent } from './permissions.ts';
import type { ActiveState, PendingTool } from './state.ts';

/** The decider version from which sessions delegate to child sessions (#22). */
export const delegationFrom = 11;

/** A child session running for one of the session's `agents.delegate` calls. */
export interface ChildRun {
  callId: string;
  sessionId: string;
  agent: string;
  budget: ChildBudget;
  /** Set for a handoff: the child's answer is the session's. */
  handoff?: true;
}

/** The session that spawned this one, and for which call. */
export interface ParentCall {
  sessionId: string;
  callId: string;
}

/** How a child ended, as its `child.result` says. */
export type ChildResult = Omit<ChildResultCommand, 'type' | 'sessionId'>;

type Call = Pick<PendingTool, 'callId' | 'tool' | 'input'>;

/**
 * An allowed `agents.delegate` call (decider version 11 on): refused at once (bad input, an agent it may
 * not delegate to, too deep, no budget left to give), left waiting while `subagentConcurrency` children
 * run, or a child session started with a slice of what the session has left (`subagent.spawned`, and the
 * effect that starts it). `decided` holds the events recorded before it in the same decision: its
 * siblings spawned there count.
 */
export function runDelegation(state: ActiveState, call: Call, decided: readonly NewEvent[]): { answered: NewEvent } | { effects: SessionEffect[] } | { spawned: NewEvent; effects: SessionEffect[] } | undefined {
  if (call.tool === 'agents.handoff' && state.deciderVersion >= delegationFrom) return runHandoff(state, call, decided);
  if (call.tool !== 'agents.delegate' || state.deciderVersion < delegationFrom) return undefined;
  const parsed = DelegateInput.safeParse(call.input);
  if (!parsed.success) return { answered: invalidInput(call, parsed.error) };
  const input = parsed.data;
  const spawnedNow = spawnedIn(decided);
  const refusal = delegationRefusal(state, input.agent);
  if (refusal) return { answered: builtInFailed(call, refusal) };
  // Past the concurrency limit the call waits: a child that ends makes room (`spawnQueued`).
  if (state.children.length + spawnedNow.length >= concurrencyOf(state)) return { effects: [] };
  const budget = childBudget(state, input, state.children, spawnedNow);
  if ('problem' in budget) return { answered: builtInFailed(call, budget.problem) };
  const sessionId = childSessionId(state.sessionId, state.n, call.callId);
  const spawned: NewEvent = { type: 'subagent.spawned', data: { callId: call.callId, sessionId, agent: input.agent, task: input.task, budget } };
  return { spawned, effects: [spawnEffect(state, { callId: call.callId, sessionId, agent: input.agent, budget }, input.task)] };
}

/**
 * An allowed `agents.handoff` call: a child of the named agent starts with the conversation so far (and
 * the note) as its task and everything the session has left to spend; its answer will be the session's
 * (`childEnded`). Refused like a delegation (agent, depth, budget) and when another handoff runs.
 */
function runHandoff(state: ActiveState, call: Call, decided: readonly NewEvent[]): { answered: NewEvent } | { spawned: NewEvent; effects: SessionEffect[] } {
  const parsed = HandoffInput.safeParse(call.input);
  if (!parsed.success) return { answered: invalidInput(call, parsed.error) };
  const { agent, note } = parsed.data;
  const refusal = delegationRefusal(state, agent) ?? (state.handoff !== null || spawnedIn(decided).some((child) => child.handoff) ? 'the conversation is handed off already' : undefined);
  if (refusal) return { answered: builtInFailed(call, refusal) };
  const budget = childBudget(state, { agent, task: 'handoff', maxSteps: Number.MAX_SAFE_INTEGER }, state.children, spawnedIn(decided));
  if ('problem' in budget) return { answered: builtInFailed(call, budget.problem) };
  const sessionId = childSessionId(state.sessionId, state.n, call.callId);
  const task = handoffTask(state, note);
  const spawned: NewEvent = { type: 'subagent.spawned', data: { callId: call.callId, sessionId, agent, task, budget, handoff: true } };
  return { spawned, effects: [spawnEffect(state, { callId: call.callId, sessionId, agent, budget, handoff: true }, task)] };
}

/** Longest conversation a handoff passes on: its end, when longer. */
const handoffChars = 90_000;

/** The conversation as the specialist reads it: who said what, tool calls and results, then the note. */
function handoffTask(state: ActiveState, note: string | undefined): string {
  const lines = heldMessages(state.conversation).flatMap((message) =>
    message.content.map((block) => {
      switch (block.type) {
        case 'text':
          return `${message.role}: ${block.text}`;
        case 'tool_use':
          return `${message.role} called ${block.name} ${JSON.stringify(block.input)}`;
        case 'tool_result':
          return `result${block.isError ? ' (failed)' : ''}: ${block.content}`;
        case 'image':
          return `${message.role}: [an image]`;
        default:
          return assertNever(block);
      }
    }),
  );
  const earlier = state.conversation.earlier > 0 ? [`[${state.conversation.earlier} earlier messages left out]`] : [];
  const conversation = [...earlier, ...lines].join('\n');
  const cut = conversation.length > handoffChars ? `[the conversation's start left out]\n${conversation.slice(-handoffChars)}` : conversation;
  return `This conversation is handed off to you: answer as its assistant from here.\n\n${cut}${note ? `\n\nNote from the agent handing off: ${note}` : ''}`;
}

/** The start of a child already spawned, again (a pick-up after a crash): the child starts once; one that ended says so again. */
export function spawnAgain(state: ActiveState, call: Call): SessionEffect[] | undefined {
  if ((call.tool !== 'agents.delegate' && call.tool !== 'agents.handoff') || state.deciderVersion < delegationFrom) return undefined;
  const child = state.children.find((run) => run.callId === call.callId);
  // A delegation still waiting for room waits on: a running child's end starts it.
  if (!child) return [];
  if (child.handoff) {
    const handoff = HandoffInput.safeParse(call.input);
    return handoff.success ? [spawnEffect(state, child, handoffTask(state, handoff.data.note))] : [];
  }
  const task = DelegateInput.safeParse(call.input);
  return task.success ? [spawnEffect(state, child, task.data.task)] : [];
}

/** A child's end: recorded with what it spent (counted in this session's totals), and its answer as the call's result. */
export function childEnded(state: ActiveState, result: ChildResult): NewEvent[] {
  const child = state.children.find((run) => run.callId === result.callId && run.sessionId === result.childSessionId);
  if (!child) return [];
  const { callId, childSessionId: sessionId, status, output, reason, totals, workspaceRevision } = result;
  const revision = workspaceRevision === undefined ? {} : { workspaceRevision };
  const completed: NewEvent = { type: 'subagent.completed', data: { callId, sessionId, status, ...(output === undefined ? {} : { output }), ...(reason === undefined ? {} : { reason }), ...(totals ? { totals } : {}), ...revision } };
  const waiting = state.status === 'awaiting_tools' && state.pending.some((call) => call.callId === callId);
  if (!waiting) return [completed];
  // The answer names the child's last workspace revision, so the parent's view of the run (a replay, a fork) holds the child's writes.
  if (child.handoff) return [completed, { type: 'tool.completed', data: { callId, tool: 'agents.handoff', output: `handed off to ${child.agent} (session ${sessionId}), which ${status}`, durationMs: 0, ...revision } }];
  const answer: NewEvent =
    status === 'succeeded'
      ? { type: 'tool.completed', data: { callId, tool: 'agents.delegate', output: output ?? '', durationMs: 0, ...revision } }
      : { type: 'tool.failed', data: { callId, tool: 'agents.delegate', error: `${child.agent} (session ${sessionId}) ${status}${reason ? `: ${reason}` : ''}${output ? `\nits last answer: ${output}` : ''}`, durationMs: 0, ...revision } };
  return [completed, answer];
}

/**
 * A handoff's end, once its child's end and the call's answer are recorded (`after`): the session ends as
 * the child did, with its answer and the whole spend, taking no further turn. Undefined for any other child.
 */
export function handoffEnd(after: ActiveState, result: ChildResult): NewEvent | undefined {
  if (after.handoff !== result.callId || after.status === 'completed') return undefined;
  const { output, reason, status, childSessionId } = result;
  return { type: 'session.completed', data: { status, totals: after.totals, handedOffTo: childSessionId, ...(output === undefined ? {} : { output }), ...(reason === undefined ? {} : { reason }) } };
}

/** Tells the parent how this child ended, when `completed` ends a child session (decider version 11 on). */
export function notifyParent(state: ActiveState, completed: EventData<'session.completed'>): SessionEffect[] {
  if (state.parent === null || state.deciderVersion < delegationFrom) return [];
  const { status, output, reason, totals } = completed;
  const command: ChildResultCommand = {
    type: 'child.result',
    sessionId: state.parent.sessionId,
    callId: state.parent.callId,
    childSessionId: state.sessionId,
    status,
    ...(output === undefined ? {} : { output: output.slice(0, 100_000) }),
    ...(reason === undefined ? {} : { reason: reason.slice(0, 100_000) }),
    totals,
    ...(state.workspaceRevision === null ? {} : { workspaceRevision: state.workspaceRevision }),
  };
  return [{ type: 'NotifyParent', command }];
}

/**
 * What a decision that pauses, resumes or ends a lead does to its running children (decider version 11
 * on): the same, so a tree stops and goes on as one. Each command is named by the lead's event, so sent
 * again it is taken once.
 */
export function steerChildren(state: ActiveState, decided: readonly NewEvent[]): SessionEffect[] {
  if (state.deciderVersion < delegationFrom || state.children.length === 0) return [];
  const by = `lead:${state.sessionId}`;
  const at = state.n + decided.length;
  const steer = (command: (sessionId: string) => InboxCommand, kind: string): SessionEffect[] =>
    state.children.map((child) => ({ type: 'SteerChild', command: command(child.sessionId), messageId: `${kind}/${child.sessionId}/${state.sessionId}/${at}` }));
  if (decided.some((event) => event.type === 'session.completed')) return steer((sessionId) => ({ type: 'close', sessionId, by, reason: `its lead ${state.sessionId} ended` }), 'close');
  const paused = decided.find((event) => event.type === 'session.paused');
  if (paused?.type === 'session.paused') return steer((sessionId) => ({ type: 'pause', sessionId, by, reason: `its lead ${state.sessionId} was paused: ${paused.data.reason}`.slice(0, 2_000) }), 'pause');
  if (decided.some((event) => event.type === 'session.resumed')) return steer((sessionId) => ({ type: 'resume', sessionId, by }), 'resume');
  return [];
}

/** A child's spend, added to its parent's: the tree spends within the root's budget. */
export function withChildSpend(totals: Totals, child: Totals | undefined): Totals {
  if (!child) return totals;
  return {
    ...totals,
    steps: totals.steps + child.steps,
    toolCalls: totals.toolCalls + child.toolCalls,
    inputTokens: totals.inputTokens + child.inputTokens,
    outputTokens: totals.outputTokens + child.outputTokens,
    costUsd: totals.costUsd + child.costUsd,
  };
}

/**
 * A child's id: the parent, the event its delegation was decided after (the reply, or the child's end
 * that made room) and the call, hashed, so it is one subject token however deep the tree, and a model
 * that uses a call id again in a later reply gets a new child, not the old one's answer.
 */
export function childSessionId(parentSessionId: string, decidedAfter: number, callId: string): string {
  return `sub-${createHash('sha256').update(`${parentSessionId}/${decidedAfter}/${callId}`).digest('hex').slice(0, 24)}`;
}

function delegationRefusal(state: ActiveState, agent: string): string | undefined {
  const allowed = state.agent.subagents;
  if (!allowed.includes(agent)) return allowed.length === 0 ? 'this agent may delegate to no other agent' : `"${agent}" is not an agent this one may delegate to; it may delegate to: ${allowed.join(', ')}`;
  if ((state.delegatedBy?.length ?? 0) + 1 >= maxDelegationDepth) return `delegations may go ${maxDelegationDepth} sessions deep; this session is as deep as they go`;
  return undefined;
}

function concurrencyOf(state: ActiveState): number {
  return state.agent.subagentConcurrency ?? defaultSubagentConcurrency;
}

/**
 * Delegations that waited for room (allowed, no child yet), started as running children end: in the
 * order the reply made them, as many as the limit now allows.
 */
export function spawnQueued(state: ActiveState): { events: NewEvent[]; effects: SessionEffect[] } {
  if (state.status !== 'awaiting_tools' || state.deciderVersion < delegationFrom) return { events: [], effects: [] };
  const started = new Set(state.children.map((child) => child.callId));
  const queued = state.pending.filter((call) => call.tool === 'agents.delegate' && call.permission !== undefined && !started.has(call.callId));
  const events: NewEvent[] = [];
  const effects: SessionEffect[] = [];
  for (const call of queued) {
    const run = runDelegation(state, call, events);
    if (!run || !('spawned' in run || 'answered' in run)) continue;
    if ('answered' in run) events.push(run.answered);
    else {
      events.push(run.spawned);
      effects.push(...run.effects);
    }
  }
  return { events, effects };
}

/**
 * What the child may spend: what it asked for, else an even share, among the reply's delegations, of
 * what the session had left before them; within what it has left now, after its running children's slices.
 */
function childBudget(state: ActiveState, input: DelegateInput, running: readonly ChildRun[], spawnedNow: readonly ChildRun[]): ChildBudget | { problem: string } {
  const siblings = delegationsInLastReply(state);
  const stepsBefore = state.budget.maxSteps - state.totals.steps - reserved(running, (child) => child.budget.maxSteps);
  const stepsLeft = stepsBefore - reserved(spawnedNow, (child) => child.budget.maxSteps);
  if (stepsLeft < 1) return { problem: `no steps left to give a specialist: ${state.totals.steps} of ${state.budget.maxSteps} spent and ${state.budget.maxSteps - state.totals.steps - stepsLeft} given to specialists still running` };
  const maxSteps = Math.min(input.maxSteps ?? Math.max(1, Math.floor(stepsBefore / siblings)), stepsLeft);
  const { maxCostUsd } = state.budget;
  if (maxCostUsd === undefined) return input.maxCostUsd === undefined ? { maxSteps } : { maxSteps, maxCostUsd: input.maxCostUsd };
  const costBefore = maxCostUsd - state.totals.costUsd - reserved(running, (child) => child.budget.maxCostUsd ?? 0);
  const costLeft = costBefore - reserved(spawnedNow, (child) => child.budget.maxCostUsd ?? 0);
  if (costLeft <= 0) return { problem: `no budget left to give a specialist: $${state.totals.costUsd.toFixed(4)} of $${maxCostUsd} spent and the rest given to specialists still running` };
  return { maxSteps, maxCostUsd: Math.min(input.maxCostUsd ?? costBefore / siblings, costLeft) };
}

function reserved(children: readonly ChildRun[], of: (child: ChildRun) => number): number {
  return children.reduce((sum, child) => sum + of(child), 0);
}

/** How many `agents.delegate` calls the last reply makes (at least one): the shares its children get by default. */
function delegationsInLastReply(state: ActiveState): number {
  const last = lastMessage(state.conversation);
  const calls = last?.role === 'assistant' ? last.content.filter((block) => block.type === 'tool_use' && block.name === 'agents.delegate').length : 0;
  return Math.max(1, calls);
}

function spawnedIn(decided: readonly NewEvent[]): ChildRun[] {
  return decided.flatMap((event) => (event.type === 'subagent.spawned' && event.data.budget ? [{ callId: event.data.callId, sessionId: event.data.sessionId, agent: event.data.agent, budget: event.data.budget, ...(event.data.handoff ? { handoff: true as const } : {}) }] : []));
}

function spawnEffect(state: ActiveState, child: ChildRun, task: string): SessionEffect {
  const command: SubagentStartCommand = {
    type: 'subagent.start',
    sessionId: child.sessionId,
    parent: { sessionId: state.sessionId, callId: child.callId },
    correlationId: state.correlationId,
    agent: child.agent,
    task,
    budget: child.budget,
    delegatedBy: [selfAsDelegating(state), ...(state.delegatedBy ?? [])],
  };
  return { type: 'SpawnSubagent', command };
}

/** This session as its children's checks carry it: whose rights bound theirs. */
function selfAsDelegating(state: ActiveState): DelegatingSession {
  return { sessionId: state.sessionId, agent: checkedAgent(state), ...(state.taskPolicy === null ? {} : { taskPolicy: state.taskPolicy }) };
}
