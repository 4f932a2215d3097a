import { z } from 'zod';
import { AgentName, SessionId } from './ids.ts';

/** One row of the `sbx-sessions` bucket: a session's latest status, derived from its log, for listing. */
export const SessionIndexEntry = z.object({
  sessionId: SessionId,
  correlationId: SessionId,
  agent: AgentName,
  /** `paused` from `session.paused` until `session.resumed`. */
  status: z.enum(['running', 'paused', 'succeeded', 'failed', 'aborted']),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
  lastN: z.number().int().nonnegative(),
  output: z.string().optional(),
  reason: z.string().optional(),
});
export type SessionIndexEntry = z.infer<typeof SessionIndexEntry>;
