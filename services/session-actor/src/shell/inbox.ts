import type { JsMsg } from '@nats-io/jetstream';
import { assertNever, commandSubject, decode, DecodeError, InboxCommand, parseJson, validate, type Naming, type SubagentStartCommand } from '@signalbox/events';
import { positionOf, Rejection } from '@signalbox/runtime';
import { conversationsFrom, forkPrefix, idleTimeoutBy, interventionsFrom, takesConversations, judgementsFrom, rewindRefusal, takesInterventions, takesJudgements, type SessionCommand } from '@signalbox/session';
import type { EventStore } from '@signalbox/store';
import { z } from 'zod';
import { budgetOverCeiling, type BudgetCeiling, type RequestedLimits } from '../core/budget-ceiling.ts';
import { conversationRefusal } from '../core/conversation-refusal.ts';
import { gradeRefusal } from '../core/grade-refusal.ts';
import { rewindTarget } from './rewind-forks.ts';
import type { CommandOptions, SessionRunner } from './session-runner.ts';
import { childStart, tellParentNotStarted, type ChildSessions } from './subagents.ts';

/** What applying inbox commands needs: the runner, the log (a fork is read from it), and the names, to read the subject. */
export interface InboxDeps {
  runner: SessionRunner;
  store: EventStore;
  names: Naming;
  /** The installation's budget ceiling, which a resume's limits may not pass (nor a task's). */
  budgetCeiling: BudgetCeiling;
  /** Where a delegation's child sessions are started from. */
  children: ChildSessions;
}

/**
 * Applies a command to its session: from `sbx.inbox.<sessionId>` (a tool result, a request to start
 * the session as a fork, a pause, a resume, an approval's timed-out denial), from this actor's own
 * `sbx.inbox.<sessionId>.<actor>` (a tool result), from `.approvals` (an answer to an approval),
 * from `.supervisor` (an intervention, a judgement) or from `.grader` (a grade). A command it cannot
 * apply is a Rejection, kept in `sbx.dlq.inbox`.
 */
export async function handleInboxCommand(deps: InboxDeps, message: JsMsg): Promise<void> {
  let command: InboxCommand;
  try {
    command = readCommand(message);
  } catch (error) {
    if (error instanceof DecodeError) throw new Rejection(error.message, { cause: error });
    throw error;
  }
  // NATS permissions are per subject: a command applies only to the session whose inbox it came on.
  const addressed = deps.names.subjects.sessionOfInbox(message.subject);
  if (addressed !== command.sessionId) throw new Rejection(`a command for session ${command.sessionId} came on the inbox of ${addressed ?? 'no session'}`);
  refuseOffItsSubject(deps.names, command, message.subject);
  const traceparent = message.headers?.get('traceparent') || undefined;
  const options: CommandOptions = { causationId: positionOf(message), ...(traceparent ? { traceparent } : {}) };
  if (command.type === 'subagent.start') return startChild(deps, command, options);
  const sessionCommand = await toSessionCommand(deps, command, options.causationId);
  if (command.type === 'tool.result') await deps.runner.interruptsOnTheWay.before(command.sessionId);
  const { state } = await deps.runner.execute(command.sessionId, sessionCommand, options);
  if (command.type === 'interrupt' || (command.type === 'user.message' && command.interrupt)) deps.runner.interruptApplied(command.sessionId, command.by);
  // A session is created by its task or fork alone: a pause, resume, approval or intervention for any other is refused, not kept waiting.
  if (state.status === 'new' && command.type !== 'tool.result' && command.type !== 'fork') {
    const act = command.type === 'approval.decision' ? 'answer an approval of' : command.type === 'intervention' ? 'intervene in' : command.type === 'judgement' ? 'record a judgement of' : command.type === 'grade' ? 'record a grade of' : command.type === 'user.message' ? 'send a message to' : command.type;
    throw new Rejection(`cannot ${act} session ${command.sessionId}: it does not exist`);
  }
  if (command.type === 'intervention' && state.status !== 'new' && !takesInterventions(state)) {
    throw new Rejection(`session ${command.sessionId} was created under decider version ${state.deciderVersion}, which takes no interventions (${interventionsFrom} on does); it is unchanged`);
  }
  if (command.type === 'intervention' && command.action === 'compact' && state.status !== 'new' && !takesConversations(state)) {
    throw new Rejection(`session ${command.sessionId} was created under decider version ${state.deciderVersion}, which cannot compact its context (${conversationsFrom} on can); it is unchanged`);
  }
  if (command.type === 'judgement' && state.status !== 'new' && !takesJudgements(state)) {
    throw new Rejection(`session ${command.sessionId} was created under decider version ${state.deciderVersion}, which records no judgements (${judgementsFrom} on does); it is unchanged`);
  }
  const unheard = state.status !== 'new' ? conversationRefusal(command, state) : undefined;
  if (unheard) throw new Rejection(unheard);
  const ungraded = command.type === 'grade' && state.status !== 'new' ? gradeRefusal(state) : undefined;
  if (ungraded) throw new Rejection(ungraded);
  // A rewind it could not do is kept with the reason (one done, or done before, is not).
  const unrewound = sessionCommand.type === 'Intervene' && sessionCommand.action === 'rewind' && state.status !== 'new' ? rewindRefusal(state, sessionCommand) : undefined;
  if (unrewound) throw new Rejection(unrewound);
}

/** A command in msgpack, as the services send them, or in JSON (`Content-Type: application/json`), as any NATS client can write one. */
function readCommand(message: JsMsg): InboxCommand {
  if (message.headers?.get('Content-Type') !== 'application/json') return decode(InboxCommand, message.data, 'inbox command');
  return validate(InboxCommand, parseJson(message.data, 'JSON inbox command'), 'JSON inbox command');
}

/**
 * An approval runs a call a policy held back, an intervention steers a session and a grade decides
 * how it ends: each is taken only from the subject of its own whose publishers NATS permissions name.
 */
function refuseOffItsSubject(names: Naming, command: InboxCommand, subject: string): void {
  const own = commandSubject(names, command);
  // A denial may come elsewhere: an approval's timer sends it to the session's inbox; so does an idle timer its close.
  const denial = command.type === 'approval.decision' && !command.approved;
  const onInbox = subject === names.subjects.inbox(command.sessionId);
  const idleClose = command.type === 'close' && command.by === idleTimeoutBy && command.ifIdleSince !== undefined && onInbox;
  // Where clients sent them before they moved to `.messages` (and where the timer forwarder delivers): still taken.
  const olderSteer = (command.type === 'pause' || command.type === 'resume' || command.type === 'fork') && onInbox;
  if (own !== names.subjects.inbox(command.sessionId) && subject !== own && !denial && !idleClose && !olderSteer) {
    const what = command.type === 'intervention' ? 'an intervention' : command.type === 'judgement' ? 'a judgement' : command.type === 'grade' ? 'a grade' : command.type === 'approval.decision' ? 'an approval' : `a ${command.type === 'user.message' ? 'message' : command.type}`;
    throw new Rejection(`${what} is taken only on ${own}, not on ${subject} (session ${command.sessionId} is unchanged)`);
  }
}


/** `messageId` names the inbox message, so a message delivered twice is recorded once. */
async function toSessionCommand(deps: InboxDeps, command: InboxCommand, messageId: string): Promise<SessionCommand> {
  switch (command.type) {
    case 'tool.result':
      return { type: 'RecordToolResult', result: command };
    case 'fork': {
      const { sessionId, from, edit, agent } = command;
      const prefix = forkPrefix(await deps.store.read(from.sessionId), from.n, edit);
      if (!prefix) throw new Rejection(`cannot fork ${from.sessionId} at event ${from.n}: its log does not reach that far`);
      // A fork is the root of its own run.
      return { type: 'ForkSession', sessionId, correlationId: sessionId, from, prefix, agent };
    }
    case 'pause':
      return { type: 'PauseSession', reason: command.reason, by: command.by };
    case 'resume':
      if (command.budget) await refuseOverCeiling(deps, command.sessionId, command.budget);
      return { type: 'ResumeSession', by: command.by, budget: command.budget };
    case 'approval.decision': {
      const { approvalId, approved, by, note, scope } = command;
      return { type: 'RecordApproval', approvalId, approved, by, note, scope };
    }
    case 'intervention': {
      const { detector, action, message, evidence, model, sessionId, at, whileHeadIs } = command;
      const rewind = at === undefined ? {} : { rewind: await rewindTarget(deps.store, sessionId, at) };
      return { type: 'Intervene', detector, action, reason: message, evidence, model, whileHeadIs, ...rewind };
    }
    case 'judgement': {
      const { model, upTo, verdict, reason, evidence, usage, costUsd } = command;
      return { type: 'RecordJudgement', model, upTo, verdict, reason, evidence, usage, costUsd };
    }
    case 'grade': {
      const { type: _type, sessionId: _sessionId, ...grade } = command;
      return { type: 'RecordGrade', ...grade };
    }
    case 'user.message':
      return { type: 'ReceiveMessage', text: command.text, by: command.by, messageId, interrupt: command.interrupt };
    case 'interrupt':
      return { type: 'Interrupt', by: command.by, reason: command.reason, interruptId: command.interruptId };
    case 'close':
      return { type: 'CloseSession', by: command.by, reason: command.reason, ifIdleSince: command.ifIdleSince };
    case 'signal':
      return { type: 'ReceiveSignal', name: command.name, payload: command.payload, by: command.by, messageId };
    case 'child.result': {
      const { type: _type, sessionId: _sessionId, ...result } = command;
      return { type: 'RecordChildResult', ...result };
    }
    case 'subagent.start':
      return childStart(deps.children, command);
    default:
      return assertNever(command);
  }
}

/**
 * Starts a delegation's child session (decider version 11 on). One that cannot start (its agent unknown,
 * a tool no executor offers) is told to its parent as a failed child, which the parent's model reads.
 */
async function startChild(deps: InboxDeps, command: SubagentStartCommand, options: CommandOptions): Promise<void> {
  let start: SessionCommand;
  try {
    start = await childStart(deps.children, command);
  } catch (error) {
    if (!(error instanceof Rejection)) throw error;
    return tellParentNotStarted(deps.children, command, error);
  }
  await deps.runner.execute(command.sessionId, start, options);
}

/** A resume may raise the budget only as far as a task could: to the agent's own limit or its ceiling. */
async function refuseOverCeiling(deps: InboxDeps, sessionId: string, limits: RequestedLimits): Promise<void> {
  const created = await deps.store.first(sessionId);
  // A session that does not exist yet is refused as such once the command is applied.
  if (created?.type !== 'session.created') return;
  const overCeiling = budgetOverCeiling(limits, created.data.agent, deps.budgetCeiling);
  if (overCeiling) throw new Rejection(`cannot resume session ${sessionId} with that budget (the session is unchanged): ${overCeiling}`);
}

/**
 * A tool result that could not be applied after every retry fails its session, with the reason, rather
 * than leaving it waiting for the result. Any other command refused leaves the session as it was: a
 * bad pause or an unknown command from some sender must not end a session.
 */
export async function failSessionOf(runner: SessionRunner, names: Naming, message: JsMsg, reason: string): Promise<void> {
  const sessionId = names.subjects.sessionOfInbox(message.subject);
  if (!sessionId || !isToolResult(message)) return;
  await runner.execute(sessionId, { type: 'FailSession', reason: `a command could not be applied: ${reason}` }, {
    causationId: positionOf(message),
  });
}

const CommandType = z.object({ type: z.string() });

/** Whether `message` says it is a tool result, however malformed the rest of it. */
function isToolResult(message: JsMsg): boolean {
  try {
    return decode(CommandType, message.data, 'inbox command').type === 'tool.result';
  } catch {
    return false;
  }
}
