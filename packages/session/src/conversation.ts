import { createHash } from 'node:crypto';
import type { Message } from '@signalbox/events';

/**
 * The conversation a session's model requests carry. It grows with every step, so it carries a
 * running digest (a sha256 chain over its messages): a request's digest then costs the same at
 * step 2,000 as at step 2, and a session resumed from a snapshot need not hold its early messages.
 */
export interface Conversation {
  /** How many messages precede `messages`: a resumed session leaves them in the transcript store until a model call needs them. */
  earlier: number;
  /** The latest messages (all of them unless `earlier` > 0). Never empty: the last message is always held. */
  messages: Message[];
  /** sha256 chain over every message, earlier ones included. */
  digest: string;
}

export function conversationOf(first: Message): Conversation {
  return withMessage({ earlier: 0, messages: [], digest: '' }, first);
}

export function withMessage(conversation: Conversation, message: Message): Conversation {
  const digest = createHash('sha256').update(conversation.digest).update(canonicalJson(message)).digest('hex');
  return { earlier: conversation.earlier, messages: [...conversation.messages, message], digest };
}

export function lastMessage(conversation: Conversation): Message | undefined {
  return conversation.messages.at(-1);
}

export function messageCount(conversation: Conversation): number {
  return conversation.earlier + conversation.messages.length;
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
  return { ...conversation, earlier: from, messages: conversation.messages.slice(from - conversation.earlier) };
}

/**
 * JSON with object keys in one fixed order, so equal values always hash alike. Digests of recorded runs
 * depend on it byte for byte. The order is the one JavaScript gives an object built with sorted keys:
 * keys that are array indices first, in numeric order, then the rest sorted by UTF-16 code units.
 */
export function canonicalJson(value: unknown): string {
  const json = jsonOf(value);
  if (json === undefined) throw new TypeError(`${typeof value} has no JSON form`);
  return json;
}

/** As JSON.stringify writes `value`: undefined where it would leave the value out. */
function jsonOf(value: unknown): string | undefined {
  // Undefined for undefined, functions and symbols, whatever JSON.stringify's declared type says.
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const { toJSON } = value as { toJSON?: unknown };
  if (typeof toJSON === 'function') return jsonOf((toJSON as () => unknown).call(value));
  if (Array.isArray(value)) {
    let items = '';
    for (let index = 0; index < value.length; index += 1) items += `${index === 0 ? '' : ','}${jsonOf(value[index]) ?? 'null'}`;
    return `[${items}]`;
  }
  let fields = '';
  for (const key of canonicalKeys(value)) {
    const json = jsonOf((value as Record<string, unknown>)[key]);
    if (json !== undefined) fields += `${fields === '' ? '' : ','}${JSON.stringify(key)}:${json}`;
  }
  return `{${fields}}`;
}

/** Object.keys lists array-index keys first, in numeric order, then the others as inserted: sort only those. */
function canonicalKeys(value: object): string[] {
  const keys = Object.keys(value);
  let indices = 0;
  while (indices < keys.length && isArrayIndex(keys[indices] as string)) indices += 1;
  return indices === 0 ? keys.sort() : [...keys.slice(0, indices), ...keys.slice(indices).sort()];
}

const maxArrayIndex = 2 ** 32 - 2;

function isArrayIndex(key: string): boolean {
  const first = key.charCodeAt(0);
  // Most keys are words: one comparison settles them.
  if (!(first >= 48 && first <= 57)) return false;
  return /^(?:0|[1-9]\d*)$/.test(key) && Number(key) <= maxArrayIndex;
}
