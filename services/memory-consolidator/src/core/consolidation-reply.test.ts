import { describe, expect, it } from 'vitest';
import { maxReplyChars, parseReply } from './consolidation-reply.ts';

const evidence = [{ sessionId: 's1', events: [2] }];

describe("the consolidation model's reply", () => {
  it('is one JSON object of adds, merges and retirements, with defaults for what it leaves out', () => {
    const parsed = parseReply(JSON.stringify({ add: [{ text: 'The build needs node 24.', evidence }] }));
    expect(parsed).toEqual({ ok: true, reply: { add: [{ text: 'The build needs node 24.', scope: 'team', confidence: 0.5, evidence }], merge: [], retire: [] } });
  });

  it('may come inside a ```json fence, with words around it', () => {
    const parsed = parseReply(`Here it is:\n\`\`\`json\n${JSON.stringify({ add: [], merge: [], retire: [{ id: 'm-0123456789abcdef', reason: 'stale' }] })}\n\`\`\`\nDone.`);
    expect(parsed).toMatchObject({ ok: true, reply: { retire: [{ id: 'm-0123456789abcdef', reason: 'stale', evidence: [] }] } });
  });

  it('is refused when it is not JSON', () => {
    expect(parseReply('I think the agents should remember to run the tests.')).toEqual({ ok: false, problem: expect.stringMatching(/^the reply is not JSON/) });
  });

  it('is refused unread when it is huge', () => {
    expect(parseReply(`{"add": [], "pad": "${'x'.repeat(maxReplyChars)}"}`)).toEqual({ ok: false, problem: expect.stringMatching(/^the reply is \d+ characters, over 200000/) });
  });

  it('is refused when it nests deeper than the shape asked for, however deep', () => {
    const deep = `${'['.repeat(90_000)}${']'.repeat(90_000)}`;
    expect(parseReply(deep)).toEqual({ ok: false, problem: expect.stringMatching(/nests deeper than 12 levels|not JSON/) });
    expect(parseReply(JSON.stringify({ add: [{ text: 'x', evidence: [{ sessionId: 's1', events: [[[[[[[[[[[[1]]]]]]]]]]]] }] }] }))).toEqual({ ok: false, problem: 'the reply nests deeper than 12 levels' });
  });

  it('is refused, with what is wrong, when it is JSON of another shape', () => {
    expect(parseReply(JSON.stringify({ add: [{ text: 'no evidence', evidence: [] }] }))).toEqual({ ok: false, problem: expect.stringMatching(/^the reply is not the shape asked for: .*add\[0\]\.evidence/s) });
    expect(parseReply(JSON.stringify(['add']))).toMatchObject({ ok: false });
    expect(parseReply(JSON.stringify({ add: [{ text: 'y'.repeat(2_001), evidence }] }))).toMatchObject({ ok: false });
  });
});
