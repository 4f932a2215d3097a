import type { Message } from '@signalbox/events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, conversationOf, lastMessage, messageCount, withMessage } from './conversation.ts';

const task: Message = { role: 'user', content: [{ type: 'text', text: 'Summarise notes.md' }] };
const reply: Message = { role: 'assistant', content: [{ type: 'tool_use', id: 'c1', name: 'workspace.read', input: { path: 'notes.md', lines: 10 } }] };

describe('a conversation', () => {
  it('chains a digest over its messages, whatever order their keys were written in', () => {
    const reordered = { content: [{ input: { lines: 10, path: 'notes.md' }, name: 'workspace.read', id: 'c1', type: 'tool_use' }], role: 'assistant' } as Message;
    expect(withMessage(conversationOf(task), reordered).digest).toBe(withMessage(conversationOf(task), reply).digest);
  });

  it('has another digest when any message differs, or the same messages come in another order', () => {
    const other: Message = { ...reply, content: [{ type: 'tool_use', id: 'c1', name: 'workspace.read', input: { path: 'notes.md', lines: 11 } }] };
    const digest = withMessage(conversationOf(task), reply).digest;
    expect(withMessage(conversationOf(task), other).digest).not.toBe(digest);
    expect(withMessage(conversationOf(reply), task).digest).not.toBe(digest);
  });

  it('carries on the same from its latest messages as from all of them', () => {
    const whole = withMessage(conversationOf(task), reply);
    const resumed = { earlier: 1, messages: [reply], digest: whole.digest };
    const next: Message = { role: 'user', content: [{ type: 'tool_result', toolUseId: 'c1', content: 'notes', isError: false }] };
    expect(withMessage(resumed, next).digest).toBe(withMessage(whole, next).digest);
    expect(messageCount(withMessage(resumed, next))).toBe(3);
    expect(lastMessage(resumed)).toEqual(reply);
  });
});

/** How canonical JSON was first written, and what every recorded digest was made with: the output must never change. */
function sortedKeysJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

describe('canonical JSON', () => {
  it('writes any JSON value byte for byte as digests of recorded runs were made', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => canonicalJson(value) === sortedKeysJson(value)), { numRuns: 500 });
  });

  it('puts keys that are array indices first, in numeric order, as every recorded digest has them', () => {
    const keys = ['b', '10', '', '2', '4294967294', '4294967295', '01', '-1', '1.5', 'a'];
    const value = Object.fromEntries(keys.map((key) => [key, key]));
    expect(canonicalJson(value)).toBe(sortedKeysJson(value));
    fc.assert(fc.property(fc.dictionary(fc.oneof(fc.string(), fc.nat().map(String)), fc.jsonValue()), (record) => canonicalJson(record) === sortedKeysJson(record)));
  });

  it('leaves out undefined fields and writes undefined array items as null, as JSON does', () => {
    expect(canonicalJson({ b: undefined, a: [undefined, 1] })).toBe('{"a":[null,1]}');
  });

  it('refuses circular data rather than hash a placeholder', () => {
    const looped: Record<string, unknown> = {};
    looped['self'] = looped;
    expect(() => canonicalJson(looped)).toThrow();
  });
});
