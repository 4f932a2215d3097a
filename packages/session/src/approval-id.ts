import { createHash } from 'node:crypto';

/**
 * A call's approval id: the session's id, then a hash of the call's (which the model chose, so it may
 * hold anything). A session's own id, so a fork's held calls are the fork's to answer, not the original's.
 */
export function approvalIdOf(sessionId: string, callId: string): string {
  return `${sessionId}:${createHash('sha256').update(callId).digest('hex').slice(0, 12)}`;
}
