import { describe, expect, it } from 'vitest';
import { checkReplySubject } from './reply-subject.ts';

describe('checkReplySubject', () => {
  it.each(['_INBOX.abc', '_INBOX.Xk3Lq9sZr2.17', '_INBOX.a-b_c.d'])('lets a reply go to the inbox %s', (subject) => {
    expect(checkReplySubject(subject)).toEqual({ ok: true, subject });
  });

  it.each([
    ['$JS.API.STREAM.PURGE.SBX_EVENTS', /outside _INBOX/],
    ['$JS.API.STREAM.DELETE.SBX_DLQ', /outside _INBOX/],
    ['$KV.sbx-agents.x', /outside _INBOX/],
    ['sbx.events.s1', /outside _INBOX/],
    ['sbx.inbox.s1', /outside _INBOX/],
    ['sbx.dlq.x', /outside _INBOX/],
    ['_INBOXES.x', /outside _INBOX/],
    ['_inbox.x', /outside _INBOX/],
    ['_INBOX', /outside _INBOX/],
    ['_INBOX.>', /wildcard/],
    ['_INBOX.*', /wildcard/],
    ['_INBOX.a*b', /wildcard/],
    ['_INBOX..x', /empty token/],
    ['_INBOX.x.', /empty token/],
    ['_INBOX.a b', /white space/],
    ['_INBOX.a\u0000b', /control character/],
    ['_INBOX.a\r\nPUB x 1', /white space/],
    [`_INBOX.${'x'.repeat(300)}`, /longer than 256/],
  ])('refuses %j', (subject, reason) => {
    const checked = checkReplySubject(subject);
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.reason).toMatch(reason);
  });
});
