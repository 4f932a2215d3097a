import { hash } from 'node:crypto';
import { canonicalJson, type DigestScheme, type Message, type ModelRequest } from '@signalbox/events';
import { canonicalToolsOf } from './canonical-tools.ts';
import { summaryMessage } from './compaction.ts';
import { heldMessages } from './conversation.ts';
import { takesConversations } from './conversations.ts';
import { memoryPrompt } from './memory.ts';
import type { ActiveState } from './state.ts';

/** The next model call, a function of the session's events, rebuilt the same way on every replay. */
export interface ModelCallPlan {
  /** The request with the messages the state holds; `earlierMessages` more precede them (see Conversation). */
  request: ModelRequest;
  earlierMessages: number;
  /**
   * Set for a compacted context whose kept messages begin before those the state holds: the earlier
   * messages to add are those from this index on, after the summary (the request's first message).
   */
  earlierFrom?: number;
  /** Recorded in `model.requested` (scheme `message-chain`), so replay can prove it rebuilt the same request. */
  digest: string;
}

export function planModelCall(state: ActiveState): ModelCallPlan {
  const { conversation, compaction } = state;
  const settings = requestSettings(state);
  // The tools' JSON is the same every step: written once a session, not walked again for every digest.
  const digested = { ...settings, tools: canonicalToolsOf(state.tools), messages: conversation.digest };
  const trimmed = state.agent.context !== undefined && takesConversations(state);
  const cut = compaction && takesConversations(state) ? compaction : undefined;
  // Only what the request carries: after a compaction, the messages from its cut on.
  const carried = heldMessages(conversation, Math.max(conversation.earlier, cut?.upTo ?? 0));
  const held = trimmed ? withOutputsTrimmed(carried) : carried;
  if (!cut) {
    const digest = sha256(canonicalJson({ ...digested, ...(trimmed ? { trimmedOver: seenOutputChars } : {}) }));
    return { request: { ...settings, messages: held }, earlierMessages: conversation.earlier, digest };
  }
  // The summary in place of the messages before the cut; the kept ones after it, as the model saw them.
  const digest = sha256(canonicalJson({ ...digested, compaction: { upTo: cut.upTo, summary: sha256(cut.summary) }, trimmedOver: seenOutputChars }));
  const request = { ...settings, messages: [summaryMessage(cut.summary), ...held] };
  if (cut.upTo >= conversation.earlier) return { request, earlierMessages: 0, digest };
  return { request, earlierMessages: conversation.earlier - cut.upTo, earlierFrom: cut.upTo, digest };
}

/** A tool output the model has read before, longer than this, goes in later requests as its beginning and a note. */
export const seenOutputChars = 8_000;

/** The messages with long tool outputs the model has read (all but the last message's) cut to their beginning. */
function withOutputsTrimmed(messages: readonly Message[]): Message[] {
  return messages.map((message, index) => (index === messages.length - 1 ? message : { ...message, content: message.content.map(trimSeen) }));
}

function trimSeen(block: Message['content'][number]): Message['content'][number] {
  if (block.type !== 'tool_result' || block.content.length <= seenOutputChars) return block;
  const note = `[${block.content.length - 1_000} more characters, read before and left out here to keep the context small; the whole output is in the session's log]`;
  return { ...block, content: `${block.content.slice(0, 1_000)}
${note}` };
}

/** Everything in a request but its messages. */
function requestSettings(state: ActiveState): Omit<ModelRequest, 'messages'> {
  const settings: Omit<ModelRequest, 'messages'> = { model: modelNameOf(state.agent.model), tools: state.tools, maxTokens: state.agent.maxTokens };
  // The provider's structured output, where it has one, shapes the final answer; the decider validates it either way.
  if (state.outputSchema) settings.responseFormat = { name: 'output', schema: state.outputSchema };
  const memory = state.memory ? memoryPrompt(state.memory) : undefined;
  const system = [state.agent.system, memory].filter((part) => part !== undefined && part !== '').join('\n\n');
  if (system) settings.system = system;
  return settings;
}

/** A model call as the shell makes it: its `message-chain` digest and the request with every message. */
interface CallToDigest {
  digest: string;
  request: ModelRequest;
}

/**
 * The digest a `model.requested` of each scheme holds for a call. A `whole-request` one (runs
 * recorded before v2) needs every message: only a fold of the whole log, or the shell, has them.
 */
export const digestUnder: Readonly<Record<DigestScheme, (call: CallToDigest) => string>> = {
  'message-chain': (call) => call.digest,
  'whole-request': (call) => wholeRequestDigest(call.request),
};

/** The `whole-request` digest: sha256 of the whole request. */
export function wholeRequestDigest(request: ModelRequest): string {
  return sha256(canonicalJson(request));
}

/** `anthropic/claude-x` → `claude-x`; `scripted` stays `scripted`. */
function modelNameOf(model: string): string {
  const slash = model.indexOf('/');
  return slash === -1 ? model : model.slice(slash + 1);
}

function sha256(text: string): string {
  return hash('sha256', text, 'hex');
}
