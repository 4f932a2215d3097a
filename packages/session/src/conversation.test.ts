import type { Message } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { chunkSize, listOf } from './append-only-list.ts';
import { charsBefore, conversationOf, heldFrom, heldMessages, lastMessage, latestReplyIn, messageCount, withEarlierPutBack, withMessage } from './conversation.ts';

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
    const resumed = { ...whole, earlier: 1, messages: listOf([reply]) };
    const next: Message = { role: 'user', content: [{ type: 'tool_result', toolUseId: 'c1', content: 'notes', isError: false }] };
    expect(withMessage(resumed, next).digest).toBe(withMessage(whole, next).digest);
    expect(messageCount(withMessage(resumed, next))).toBe(3);
    expect(lastMessage(resumed)).toEqual(reply);
  });

  it('holds thousands of messages as the whole array held them, and adds one without copying those before', () => {
    const turns = Array.from({ length: 3 * chunkSize + 7 }, (_, index): Message => (index % 2 === 0 ? reply : { role: 'user', content: [{ type: 'text', text: `note ${index}` }] }));
    const all = [task, ...turns];
    const whole = turns.reduce(withMessage, conversationOf(task));
    expect(messageCount(whole)).toBe(all.length);
    expect(heldMessages(whole)).toEqual(all);
    expect(heldMessages(whole, chunkSize - 2, 2 * chunkSize + 3)).toEqual(all.slice(chunkSize - 2, 2 * chunkSize + 3));
    expect(lastMessage(whole)).toEqual(all.at(-1));
    // The chunks before the last are the same objects in the next conversation.
    const next = withMessage(whole, task);
    expect(next.messages.full).toHaveLength(3);
    next.messages.full.forEach((chunk, index) => expect(chunk).toBe(whole.messages.full[index]));
    expect(whole.messages).toEqual(listOf(all));
    expect(heldMessages(whole)).toEqual(all);
  });

  it('weighs and cuts from its chunks as from whole arrays: the characters before a reply, the latest reply in a range', () => {
    // More than a chunk of replies, so the replies' own lists are chunked too.
    const turns = Array.from({ length: 2 * chunkSize + 11 }, (_, index): Message => (index % 2 === 0 ? reply : { role: 'user', content: [{ type: 'text', text: 'x'.repeat(index) }] }));
    const all = [task, ...turns];
    const conversation = turns.reduce(withMessage, conversationOf(task));
    const sizes = all.map((message) => JSON.stringify(message).length);
    const replies = all.flatMap((message, index) => (message.role === 'assistant' ? [index] : []));
    // Replies far apart in the list, so their chunks are crossed: the first, those about the chunk boundaries, the last.
    expect(replies.length).toBeGreaterThan(chunkSize);
    for (const index of [replies[0]!, replies[chunkSize - 1]!, replies[chunkSize]!, replies.at(-1)!]) {
      expect(charsBefore(conversation, index)).toBe(sizes.slice(0, index).reduce((sum, size) => sum + size, 0));
    }
    // Only at a reply: a cut is always at one.
    for (const index of [0, 2, all.length, -1, 1.5]) expect(charsBefore(conversation, index)).toBeUndefined();
    for (const [after, latest] of [[0, all.length], [0, chunkSize], [chunkSize, chunkSize + 2], [replies.at(-1)!, all.length], [5, 4], [0, 0]] as const) {
      expect(latestReplyIn(conversation, after, latest)).toBe(replies.findLast((index) => index <= latest && index > after));
    }
  });

  it('holds its latest messages for a snapshot, and every one again once the earlier are read back', () => {
    const turns = Array.from({ length: chunkSize + 40 }, (_, index): Message => ({ role: index % 2 === 0 ? 'assistant' : 'user', content: [{ type: 'text', text: `m${index}` }] }));
    const whole = turns.reduce(withMessage, conversationOf(task));
    const held = heldFrom(whole, chunkSize + 1);
    expect(held.earlier).toBe(chunkSize + 1);
    expect(heldMessages(held)).toEqual(heldMessages(whole, chunkSize + 1));
    const earlier = heldMessages(whole, 0, chunkSize + 1);
    expect(withEarlierPutBack(held, earlier)).toEqual(whole);
    expect(() => withEarlierPutBack(held, earlier.slice(1))).toThrow(/256 earlier messages put back where 257/);
  });
});
