import type { NatsConnection } from '@nats-io/nats-core';
import { SessionId, type BudgetLimits, type Naming } from '@signalbox/events';
import { sendToSession, type SentCommand } from '@signalbox/runtime';
import type { EventReader } from '@signalbox/store';

export interface PauseOptions {
  /** Who pauses, recorded in `session.paused` (default `client`). */
  by?: string;
  reason?: string;
}

export interface ResumeOptions {
  /** Who resumes, recorded in `session.resumed` (default `client`). */
  by?: string;
  /** The step limit to go on with (the session's whole run, not steps added). */
  maxSteps?: number;
  /** The cost limit to go on with, in US dollars. */
  maxCostUsd?: number;
  /** Tool calls in all, per tool (merged tool by tool), of tools not safe to run twice, and the run's time: the limits to go on with. */
  maxToolCalls?: number;
  maxToolCallsPerTool?: Record<string, number>;
  maxNonIdempotentCalls?: number;
  maxWallClockMs?: number;
}

/** A pause or resume for a session whose log holds nothing: the actor would refuse it. */
export class UnknownSessionError extends Error {
  override readonly name = 'UnknownSessionError';
  readonly code = 'unknown_session';
}

/** Where a command for a session goes, and the log that says whether the session exists. */
export interface SessionTarget {
  nc: NatsConnection;
  names: Naming;
  store: EventReader;
}

/**
 * Asks the session to pause: it records `session.paused` and makes no model or tool call until
 * resumed. Resolves once its inbox holds the command; throws UnknownSessionError for a session
 * with no log, and the runtime's InvalidCommandError for a bad id or reason.
 */
export async function pauseSession(target: SessionTarget, sessionId: string, options: PauseOptions = {}): Promise<SentCommand> {
  await requireSession(target, sessionId);
  return sendToSession(target.nc, target.names, sessionId, { type: 'pause', sessionId, by: options.by ?? 'client', reason: options.reason ?? '' });
}

/** Asks a paused session to go on, with the limits given set on its budget. Resolves, and throws, as `pauseSession`. */
export async function resumeSession(target: SessionTarget, sessionId: string, options: ResumeOptions = {}): Promise<SentCommand> {
  await requireSession(target, sessionId);
  const { by: _by, ...limits } = options;
  const budget = Object.fromEntries(Object.entries(limits).filter(([, limit]) => limit !== undefined)) as Partial<BudgetLimits>;
  const raised = Object.keys(budget).length > 0 ? { budget } : {};
  return sendToSession(target.nc, target.names, sessionId, { type: 'resume', sessionId, by: options.by ?? 'client', ...raised });
}

export async function requireSession(target: SessionTarget, sessionId: string): Promise<void> {
  // A bad id is left to sendToSession, which says what is wrong with it.
  if (!SessionId.safeParse(sessionId).success) return;
  if (!(await target.store.first(sessionId))) throw new UnknownSessionError(`no session ${sessionId}: its log is empty`);
}
