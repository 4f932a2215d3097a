import { z } from 'zod';

/** Ids become NATS subject tokens, so they may not contain `.`, `*`, `>` or white space. */
const token = /^[A-Za-z0-9_-]+$/;

export function isSubjectToken(text: string): boolean {
  return token.test(text);
}

/** `text` with every character a subject token may not hold replaced by `_` (host names hold dots). */
export function toSubjectToken(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** An id that is one subject token, at most `maxLength` characters. */
function tokenId(what: string, maxLength: number) {
  return z.string().min(1).max(maxLength).regex(token, `${what} may hold only letters, digits, "-" and "_"`);
}

export const SessionId = tokenId('a session id', 128);
export type SessionId = z.infer<typeof SessionId>;

export const AgentName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'an agent name is lower-case letters, digits, "-" and "_", starting with a letter or digit');
export type AgentName = z.infer<typeof AgentName>;

export const ToolName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/, 'a tool name is dot-separated lower-case words, like "workspace.read"');
export type ToolName = z.infer<typeof ToolName>;

/** Names a timer; part of the timer's subjects. */
export const TimerId = tokenId('a timer id', 100);
export type TimerId = z.infer<typeof TimerId>;

/**
 * Names a call waiting for approval: its session, then a hash of the call's id (which a model chose,
 * so it may hold anything). The session is read from the id, so a decision needs no lookup.
 */
export const ApprovalId = z
  .string()
  .max(150)
  .regex(/^[A-Za-z0-9_-]{1,128}:[0-9a-f]{12}$/, 'an approval id is "<session id>:<12 hex digits>", as `signalbox approvals` lists it');
export type ApprovalId = z.infer<typeof ApprovalId>;

/** The session an approval id names. */
export function sessionOfApproval(approvalId: ApprovalId): string {
  return approvalId.slice(0, approvalId.lastIndexOf(':'));
}

/** What an approval covers: the one call, or every later call of its tool in the session that a policy would ask about. */
export const ApprovalScope = z.enum(['call', 'session']);
export type ApprovalScope = z.infer<typeof ApprovalScope>;

/** The model an agent calls: `scripted`, or `<provider>/<model>`. */
export const ModelName = z
  .string()
  .regex(/^(scripted|[a-z0-9_-]+\/.+)$/, 'a model is "scripted" or "<provider>/<model>", like "anthropic/claude-sonnet-4-5"');
