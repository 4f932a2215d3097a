import { canonicalJson, compactionInstructions, contextWindowOf, type EventData, type Message, type ModelRequest, type NewEvent, type Usage } from '@signalbox/events';
import { canonicalToolsOf } from './canonical-tools.ts';
import { charsBefore, latestReplyIn, messageCount } from './conversation.ts';
import { takesConversations } from './conversations.ts';
import type { ActiveState } from './state.ts';

/** A session's compacted context: its requests carry `summary` in place of the messages before `upTo`. */
export interface Compaction {
  upTo: number;
  summary: string;
}

/** What the summary's model call returned, as `RecordCompaction` carries it. */
export interface CompactionResult {
  callId: string;
  from: number;
  upTo: number;
  model: string;
  summary?: string | undefined;
  error?: string | undefined;
  usage?: Usage | undefined;
  costUsd: number;
  tokensBefore: number;
}

/** Characters a token, for the estimate a request is weighed by (English text and JSON run at about 4). */
const charsPerToken = 4;

/** The model's window the session's requests must stay under, if one is known or set. */
export function windowOf(state: ActiveState): number | undefined {
  return state.agent.context?.windowTokens ?? (state.agent.context || state.compactRequested ? contextWindowOf(state.agent.model) : undefined);
}

/** The next request's size in tokens, estimated from the characters of what it carries. */
export function requestTokens(state: ActiveState, compaction: Compaction | null = state.compaction): number {
  const { conversation } = state;
  const settings = canonicalJson({ system: state.agent.system, tools: canonicalToolsOf(state.tools) }).length;
  const messages = compaction ? summaryMessage(compaction.summary).content[0].text.length + conversation.chars - (charsBefore(conversation, compaction.upTo) ?? conversation.chars) : conversation.chars;
  return Math.ceil((settings + messages) / charsPerToken);
}

/**
 * Where the next compaction would cut: the latest of the assistant's messages that leaves at least
 * `keepMessages` after it and comes after the last cut, so the kept part starts with a reply (and every
 * tool result it holds follows its call). Undefined when there is nothing to compact.
 */
export function nextCut(state: ActiveState): number | undefined {
  const keep = state.agent.context?.keepMessages ?? 6;
  const latest = messageCount(state.conversation) - keep;
  const after = state.compaction?.upTo ?? 0;
  return latestReplyIn(state.conversation, after, latest);
}

/**
 * Whether the next model call waits for a compaction (decider version 9 on): the supervisor asked for
 * one, or the request would pass `compactAt` of the model's window; and there is something to cut
 * that a failed attempt did not try already.
 */
export function needsCompaction(state: ActiveState): boolean {
  if (!takesConversations(state)) return false;
  const window = windowOf(state);
  const over = window !== undefined && requestTokens(state) > window * (state.agent.context?.compactAt ?? 0.75);
  if (!over && !state.compactRequested) return false;
  const cut = nextCut(state);
  return cut !== undefined && cut > state.compactionTriedUpTo;
}

/** The id of the next compaction's model call: one per step, so a redelivered command is the same call. */
export function compactionCallId(state: ActiveState): string {
  return `c${state.totals.steps + 1}`;
}

/** Records a compaction's result, once, for the call the session waits on; its tokens and cost count. */
export function compactedEvent(state: ActiveState, result: CompactionResult): NewEvent | undefined {
  if (result.callId !== compactionCallId(state) || result.upTo !== nextCut(state)) return undefined;
  const { callId, from, upTo, model, summary, error, usage, costUsd, tokensBefore } = result;
  const tokensAfter = summary === undefined ? tokensBefore : requestTokens(state, { upTo, summary });
  const data: EventData<'context.compacted'> = { callId, from, upTo, model, costUsd, tokensBefore, tokensAfter, ...(summary === undefined ? {} : { summary }), ...(error === undefined ? {} : { error }), ...(usage === undefined ? {} : { usage }) };
  return { type: 'context.compacted', data };
}

/** The user message a compacted request starts with, in place of the messages it replaces. */
export function summaryMessage(summary: string): Message & { content: [{ type: 'text'; text: string }] } {
  return { role: 'user', content: [{ type: 'text', text: `Earlier in this session (compacted into a summary):\n${summary}` }] };
}

/**
 * The summary's model call: the instructions, the previous summary, and the messages it replaces as
 * text (tool results cut to their beginning: a summary needs what was found, not every byte).
 */
export function compactionRequest(model: string, previous: string | undefined, messages: readonly Message[]): ModelRequest {
  const lines = messages.flatMap((message) => message.content.map((block) => `${message.role}: ${blockText(block)}`));
  const text = [...(previous === undefined ? [] : [`Summary so far:\n${previous}`]), 'Conversation:', ...lines].join('\n');
  return { model, system: compactionInstructions, tools: [], maxTokens: 2048, messages: [{ role: 'user', content: [{ type: 'text', text }] }] };
}

const shownChars = 2_000;

function blockText(block: Message['content'][number]): string {
  switch (block.type) {
    case 'text':
      return block.text;
    case 'tool_use':
      return `called ${block.name} ${clip(JSON.stringify(block.input))}`;
    case 'tool_result':
      return `${block.isError ? 'error' : 'result'} of ${block.toolUseId}: ${clip(block.content)}`;
    case 'image':
      return '[an image]';
  }
}

function clip(text: string): string {
  return text.length <= shownChars ? text : `${text.slice(0, shownChars)}… (${text.length - shownChars} more characters)`;
}
