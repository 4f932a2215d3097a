import type { Message } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { conversationOf, lastMessage, messageCount, withMessage } from './conversation.ts';

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

  it('gives a message that differs in any field its own digest, and an equal one the same', () => {
    const start = conversationOf(task);
    const first = withMessage(start, reply);
    const variants: Message[] = [
      { role: 'user', content: reply.content },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'c2', name: 'workspace.read', input: { path: 'notes.md', lines: 10 } }] },
      { role: 'assistant', content: [...reply.content, { type: 'text', text: 'and more' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'c1', name: 'workspace.read', input: { path: 'notes.md', lines: 11 } }] },
    ];
    for (const variant of variants) {
      const next = withMessage(start, variant);
      expect(next.digest).not.toBe(first.digest);
      expect(next.digest).toBe(withMessage(conversationOf(task), variant).digest);
    }
    // An equal message in new objects, as the recorded events' fold builds it.
    const rebuilt = withMessage(start, { role: 'assistant', content: [{ type: 'tool_use', id: 'c1', name: 'workspace.read', input: { path: 'notes.md', lines: 10 } }] });
    expect(rebuilt).toEqual(first);
  });

  it('gives an equal message added again to the same conversation what the first made, and anything else its own', () => {
    const start = conversationOf(task);
    const first = withMessage(start, reply);
    // The recorded events' fold, right after the proposed events' fold: equal values in new objects.
    expect(withMessage(start, structuredClone(reply))).toBe(first);
    const other = withMessage(start, { ...reply, content: [{ type: 'text', text: 'no' }] });
    expect(other).not.toBe(first);
    expect(other.digest).not.toBe(first.digest);
    // An equal message to another conversation with the same messages is added anew, to the same digest.
    const again = withMessage(conversationOf(task), reply);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });

  it('carries on the same from its latest messages as from all of them', () => {
    const whole = withMessage(conversationOf(task), reply);
    const resumed = { ...whole, earlier: 1, messages: [reply] };
    const next: Message = { role: 'user', content: [{ type: 'tool_result', toolUseId: 'c1', content: 'notes', isError: false }] };
    expect(withMessage(resumed, next).digest).toBe(withMessage(whole, next).digest);
    expect(messageCount(withMessage(resumed, next))).toBe(3);
    expect(lastMessage(resumed)).toEqual(reply);
  });
});
