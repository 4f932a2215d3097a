import { hash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { canonicalJson, type Message } from '@signalbox/events';
import { appended, findLastBefore, itemAt, itemsOf, lastItem, listOf, positionInOrder, sizeOf, type AppendOnlyList } from './append-only-list.ts';

/**
 * The conversation a session's model requests carry. It grows with every step, so it carries a
 * running digest (a sha256 chain over its messages): a request's digest then costs the same at
 * step 2,000 as at step 2, and a session resumed from a snapshot need not hold its early messages.
 */
export interface Conversation {
  /** How many messages precede `messages`: a resumed session leaves them in the transcript store until a model call needs them. */
  earlier: number;
  /** The latest messages (all of them unless `earlier` > 0). Never empty: the last message is always held. Read with `heldMessages`. */
  messages: AppendOnlyList<Message>;
  /** sha256 chain over every message, earlier ones included. */
  digest: string;
  /**
   * For each of the assistant's messages, its index, and the characters of every message before it
   * (canonical JSON): what a compaction needs to choose where to cut (always at a reply) and weigh the
   * request after it, without the earlier messages themselves. Read with `latestReplyIn` and `charsBefore`.
   */
  assistantAt: AppendOnlyList<number>;
  charsBeforeReplies: AppendOnlyList<number>;
  /** The characters of every message. */
  chars: number;
}

const none: AppendOnlyList<never> = listOf([]);

export function conversationOf(first: Message): Conversation {
  return withMessage({ earlier: 0, messages: none, digest: '', assistantAt: none, charsBeforeReplies: none, chars: 0 }, first);
}

/**
 * The last message added and what it made. The session actor folds each decision's events twice, as
 * the decider proposes them and again once enveloped, one right after the other: the second fold adds
 * an equal message to the same conversation, and gets what the first made without hashing it again.
 * One entry, not one per conversation: a memo per conversation kept superseded ones alive.
 */
let lastAdded: { to: Conversation; message: Message; made: Conversation } | undefined;

export function withMessage(conversation: Conversation, message: Message): Conversation {
  if (lastAdded?.to === conversation && isDeepStrictEqual(lastAdded.message, message)) return lastAdded.made;
  const made = addedMessage(conversation, message);
  lastAdded = { to: conversation, message, made };
  return made;
}

function addedMessage(conversation: Conversation, message: Message): Conversation {
  const json = canonicalJson(message);
  // One-shot: the same bytes as hashing the two in turn, without a Hash object per message.
  const digest = hash('sha256', conversation.digest + json, 'hex');
  const reply = message.role === 'assistant';
  return {
    earlier: conversation.earlier,
    messages: appended(conversation.messages, message),
    digest,
    assistantAt: reply ? appended(conversation.assistantAt, messageCount(conversation)) : conversation.assistantAt,
    charsBeforeReplies: reply ? appended(conversation.charsBeforeReplies, conversation.chars) : conversation.charsBeforeReplies,
    chars: conversation.chars + json.length,
  };
}

export function lastMessage(conversation: Conversation): Message | undefined {
  return lastItem(conversation.messages);
}

export function messageCount(conversation: Conversation): number {
  return conversation.earlier + sizeOf(conversation.messages);
}

/** The held messages from index `from` (counted from the conversation's first message) up to `to`, not including it. */
export function heldMessages(conversation: Conversation, from = conversation.earlier, to = messageCount(conversation)): Message[] {
  return itemsOf(conversation.messages, from - conversation.earlier, to - conversation.earlier);
}

/** The conversation holding every message again: `earlier`, the messages it left in the transcript store, read back. */
export function withEarlierPutBack(conversation: Conversation, earlier: readonly Message[]): Conversation {
  if (earlier.length !== conversation.earlier) throw new Error(`${earlier.length} earlier messages put back where ${conversation.earlier} were left out`);
  return { ...conversation, earlier: 0, messages: listOf([...earlier, ...heldMessages(conversation)]) };
}

/** The characters of every message before the assistant's message at `index`; undefined where no reply is (a cut is always at one). */
export function charsBefore(conversation: Conversation, index: number): number | undefined {
  const reply = positionInOrder(conversation.assistantAt, index);
  return reply === undefined ? undefined : itemAt(conversation.charsBeforeReplies, reply);
}

/** The index of the latest assistant's message after `after` and at most `latest`, if there is one. */
export function latestReplyIn(conversation: Conversation, after: number, latest: number): number | undefined {
  // Indexes are added in order: looking back, the first one not past `latest` is the answer, or there is none.
  return findLastBefore(conversation.assistantAt, (index) => index <= latest && index > after, (index) => index <= after);
}

/**
 * Where a snapshot's conversation starts: the last multiple of `chunkSize` before its last message,
 * so a snapshot holds at most `chunkSize` messages, and always the last one.
 */
export function snapshotFrom(conversation: Conversation, chunkSize: number): number {
  return Math.floor((messageCount(conversation) - 1) / chunkSize) * chunkSize;
}

/** The conversation holding only its messages from index `from` on; the earlier ones are kept elsewhere. */
export function heldFrom(conversation: Conversation, from: number): Conversation {
  if (from <= conversation.earlier) return conversation;
  return { ...conversation, earlier: from, messages: listOf(heldMessages(conversation, from)) };
}
