/** The only namespace a task's outcome is published to: the inboxes NATS clients make (`createInbox()`). */
export const replyNamespace = '_INBOX';

/** Longer than any inbox a client makes; a bound so a refusal's log line stays short. */
const maxReplySubjectLength = 256;

export type ReplySubject = { ok: true; subject: string } | { ok: false; reason: string };

/**
 * Checks a task's `Sbx-Reply-To` before the runtime publishes to it. The runtime's connection may
 * publish where a task publisher may not (`$JS.API.…`, `$KV.…`, a session's log), so a reply goes
 * only to `_INBOX.<token>…`: its first token exactly `_INBOX`, every token non-empty, no wildcard,
 * no white space or control character.
 */
export function checkReplySubject(subject: string): ReplySubject {
  const refuse = (why: string): ReplySubject => ({ ok: false, reason: `Sbx-Reply-To ${JSON.stringify(subject.slice(0, 80))} ${why}` });
  if (subject.length > maxReplySubjectLength) return refuse(`is longer than ${maxReplySubjectLength} characters`);
  // White space and control characters (C0, DEL, C1), which NATS would split the subject at or refuse.
  if (/[\s\p{Cc}]/u.test(subject)) return refuse('holds white space or a control character');
  const tokens = subject.split('.');
  if (tokens.some((token) => token === '')) return refuse('is not a valid subject (an empty token)');
  if (tokens.some((token) => token.includes('*') || token.includes('>'))) return refuse('holds a wildcard');
  if (tokens[0] !== replyNamespace || tokens.length < 2) return refuse(`is outside ${replyNamespace}.>, the only place replies go`);
  return { ok: true, subject };
}
