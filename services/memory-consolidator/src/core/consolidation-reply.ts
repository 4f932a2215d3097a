import { maxMemoryTextChars, MemoryScope } from '@signalbox/events';
import { z } from 'zod';

/** A reply longer than this is refused unread: a consolidation's changes fit in far less. */
export const maxReplyChars = 200_000;
/** Deeper than this, a reply is not the shape asked for, and is refused before validation walks it. */
const maxReplyDepth = 12;

const Evidence = z.object({ sessionId: z.string().min(1).max(200), events: z.array(z.number().int().min(1)).min(1).max(50) });
const Text = z.string().trim().min(1).max(maxMemoryTextChars);
const Draft = {
  text: Text,
  scope: MemoryScope.default('team'),
  confidence: z.number().min(0).max(1).default(0.5),
};

/** What the model answers: entries to add (each with evidence), entries to merge into one, entries to retire. */
export const ConsolidationReply = z.object({
  add: z.array(z.object({ ...Draft, evidence: z.array(Evidence).min(1).max(20) })).max(200).default([]),
  merge: z.array(z.object({ ...Draft, ids: z.array(z.string()).min(2).max(50), evidence: z.array(Evidence).max(20).default([]) })).max(100).default([]),
  retire: z.array(z.object({ id: z.string(), reason: Text, evidence: z.array(Evidence).max(20).default([]) })).max(200).default([]),
});
export type ConsolidationReply = z.infer<typeof ConsolidationReply>;

export type ParsedReply = { ok: true; reply: ConsolidationReply } | { ok: false; problem: string };

/** The model's text as a reply: one JSON object (alone, or in a ```json fence), of the shape asked for; else why not. */
export function parseReply(text: string): ParsedReply {
  if (text.length > maxReplyChars) return { ok: false, problem: `the reply is ${text.length} characters, over ${maxReplyChars}` };
  const fenced = /```(?:json)?[ \t]*\r?\n([\s\S]*?)```/.exec(text);
  let value: unknown;
  try {
    value = JSON.parse(fenced?.[1] ?? text);
  } catch (error) {
    return { ok: false, problem: `the reply is not JSON (${error instanceof Error ? error.message.slice(0, 200) : 'does not parse'})` };
  }
  if (depthOf(value, maxReplyDepth) > maxReplyDepth) return { ok: false, problem: `the reply nests deeper than ${maxReplyDepth} levels` };
  const parsed = ConsolidationReply.safeParse(value);
  if (!parsed.success) return { ok: false, problem: `the reply is not the shape asked for: ${z.prettifyError(parsed.error).slice(0, 1_000)}` };
  return { ok: true, reply: parsed.data };
}

/** How deep `value` nests, up to `limit` + 1, found without recursion: a hostile depth cannot overflow the stack. */
function depthOf(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, level] = stack.pop() as [unknown, number];
    if (item === null || typeof item !== 'object') continue;
    deepest = Math.max(deepest, level);
    if (deepest > limit) return deepest;
    for (const child of Object.values(item)) stack.push([child, level + 1]);
  }
  return deepest;
}
