import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/nats-core';
import type { KV } from '@nats-io/kv';
import { ApprovalId, SessionIndexEntry, sessionOfApproval, type ApprovalScope, type Naming, type WaitingApproval } from '@signalbox/events';
import { sendToSession, type SentCommand } from '@signalbox/runtime';
import { jsonOrUndefined } from './stored-json.ts';

/** A call waiting for a person, across sessions: what `signalbox approvals` lists. */
export interface PendingApproval extends WaitingApproval {
  sessionId: string;
  agent: string;
}

export interface ApprovalOptions {
  /** Who answers, recorded in `approval.resolved` (default `client`). */
  by?: string;
  /** Why, recorded with the answer; a denial's note is what the model reads. */
  note?: string;
  /** `session`: approve the tool's later calls in this session too (approvals only). */
  scope?: ApprovalScope;
}

/** An answer to an approval the session does not hold: answered already, timed out, or never asked. */
export class ApprovalNotWaitingError extends Error {
  override readonly name = 'ApprovalNotWaitingError';
  readonly code = 'approval_not_waiting';
}

/** The calls every session holds for approval, the nearest deadline first. */
export function pendingApprovals(sessions: readonly SessionIndexEntry[]): PendingApproval[] {
  const pending = sessions.flatMap(({ sessionId, agent, approvals = [] }) => approvals.map((approval) => ({ ...approval, sessionId, agent })));
  return pending.sort((a, b) => a.deadline - b.deadline);
}

interface Target {
  nc: NatsConnection;
  names: Naming;
  /** The sessions index, which says what each session holds for approval. */
  sessions: KV;
}

/**
 * Answers a call held for approval: the decision goes to its session's inbox, whose actor records it
 * (`approval.resolved`) and, when approved, runs the call. Throws ApprovalNotWaitingError when the
 * sessions index does not list the approval as waiting, before anything is sent.
 */
export async function answerApproval(target: Target, approvalId: string, approved: boolean, options: ApprovalOptions = {}): Promise<SentCommand> {
  const parsed = ApprovalId.safeParse(approvalId);
  if (!parsed.success) throw new ApprovalNotWaitingError(`${JSON.stringify(approvalId)} is no approval id: ${parsed.error.issues[0]?.message ?? 'malformed'}`);
  const sessionId = sessionOfApproval(parsed.data);
  if (!(await listedAsWaiting(target.sessions, sessionId, approvalId))) {
    throw new ApprovalNotWaitingError(`approval ${approvalId} is not waiting: it was answered or timed out, or never asked (signalbox replay ${sessionId} shows which)`);
  }
  const { by = 'client', note, scope } = options;
  const decision = { type: 'approval.decision' as const, sessionId, approvalId, approved, by, ...(note === undefined ? {} : { note }), ...(scope === undefined ? {} : { scope }) };
  return sendToSession(target.nc, target.names, sessionId, decision);
}

/** How long an approval not in the index yet is looked for: the actor writes the index just after the log. */
const indexLagMs = 2_000;
const indexRetryMs = 100;

/** Whether the sessions index lists `approvalId` as waiting, allowing for the moment the index trails the log. */
async function listedAsWaiting(sessions: KV, sessionId: string, approvalId: string): Promise<boolean> {
  for (const deadline = Date.now() + indexLagMs; ; await sleep(indexRetryMs)) {
    const entry = await sessions.get(sessionId);
    const row = entry?.operation === 'PUT' ? SessionIndexEntry.safeParse(jsonOrUndefined(entry)) : undefined;
    if (row?.success && row.data.approvals?.some((approval) => approval.approvalId === approvalId)) return true;
    if (Date.now() >= deadline) return false;
  }
}
