import type { Message, ModelRequest, ModelResponse, ScriptStep, TextBlock, ToolUseBlock } from '@signalbox/events';
import { ModelError, type CallOptions, type ModelProvider } from './provider.ts';
import { checkResponseFormat } from './response-format.ts';

type Turn = { texts: string[]; end: Extract<ScriptStep, { tool: string }> | Extract<ScriptStep, { final: string }> | undefined };

/**
 * A deterministic model for demos and tests: the script's steps, grouped into turns. Each turn is
 * the `{text}` steps up to and including the next `{tool}` (a tool call) or `{final}` (the answer).
 * It is stateless: which turn to play is read from how many assistant turns the request holds.
 */
export function createScriptedProvider(script: readonly ScriptStep[]): ModelProvider {
  const turns = turnsOf(script);
  const tallies: Tallies = new WeakMap();
  return {
    name: 'scripted',
    complete: async (request: ModelRequest, options: CallOptions = {}): Promise<ModelResponse> => {
      // Nothing to send: the script is the reply (its text should hold the JSON). The bounds are
      // checked all the same, so a schema a real provider would refuse fails here too.
      checkResponseFormat(request, 'scripted');
      const tally = tallyOf(request.messages, tallies);
      const index = tally.assistantTurns;
      const turn = turns[index];
      if (!turn) {
        throw new ModelError('script_exhausted', `the script has ${turns.length} turns and turn ${index + 1} was asked for`, {
          retryable: false,
        });
      }
      const reply = replyFor(turn, index, tally.tokens + estimateTokens(request.system ?? ''));
      if (options.onText) tellText(reply, options.onText);
      return reply;
    },
  };
}

/** The reply's text word by word, as a streaming provider would send it, so live output can be tried without a key. */
function tellText(reply: ModelResponse, onText: (delta: string) => void): void {
  for (const block of reply.content) {
    if (block.type !== 'text') continue;
    for (const word of block.text.match(/\s*\S+\s*|\s+/g) ?? []) onText(word);
  }
}

function turnsOf(script: readonly ScriptStep[]): Turn[] {
  const turns: Turn[] = [];
  let texts: string[] = [];
  for (const step of script) {
    if ('text' in step) {
      texts.push(step.text);
      continue;
    }
    turns.push({ texts, end: step });
    texts = [];
  }
  if (texts.length > 0) turns.push({ texts, end: undefined });
  return turns;
}

function replyFor(turn: Turn, index: number, inputTokens: number): ModelResponse {
  const content: (TextBlock | ToolUseBlock)[] = turn.texts.map((text) => ({ type: 'text', text }));
  const end = turn.end;
  if (end && 'tool' in end) content.push({ type: 'tool_use', id: `call_${index + 1}`, name: end.tool, input: end.input });
  if (end && 'final' in end) content.push({ type: 'text', text: end.final });
  const calledTool = end !== undefined && 'tool' in end;
  return {
    model: 'scripted',
    content,
    stopReason: calledTool ? 'tool_use' : 'end_turn',
    usage: {
      inputTokens,
      outputTokens: estimateTokens(JSON.stringify(content)),
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    },
  };
}

/** Running totals over one conversation's messages: up to and including message i, `turns[i]` assistant turns and `tokens[i]` tokens. */
interface Tally {
  messages: readonly Message[];
  turns: number[];
  tokens: number[];
}

/** Each conversation's running totals, by its first message. */
type Tallies = WeakMap<Message, Tally>;

/**
 * A request repeats every earlier message, so adding up the whole conversation on every call would
 * make a scripted session's steps cost more the longer it runs. The totals of the messages a request
 * shares with the one before it (the same objects, from the first on) are kept; only the rest are
 * added up: the new ones, and the last one or two, which the session actor's fold makes anew.
 */
function tallyOf(messages: readonly Message[], tallies: Tallies): { assistantTurns: number; tokens: number } {
  const first = messages[0];
  if (!first) return { assistantTurns: 0, tokens: 0 };
  let tally = tallies.get(first);
  if (!tally) tallies.set(first, (tally = { messages, turns: [], tokens: [] }));
  let same = 0;
  const known = Math.min(tally.turns.length, messages.length);
  while (same < known && tally.messages[same] === messages[same]) same += 1;
  tally.turns.length = same;
  tally.tokens.length = same;
  for (let index = same; index < messages.length; index += 1) {
    const message = messages[index] as Message;
    tally.turns.push((tally.turns[index - 1] ?? 0) + (message.role === 'assistant' ? 1 : 0));
    tally.tokens.push((tally.tokens[index - 1] ?? 0) + estimateTokens(JSON.stringify(message)));
  }
  tally.messages = messages;
  return { assistantTurns: tally.turns[messages.length - 1] ?? 0, tokens: tally.tokens[messages.length - 1] ?? 0 };
}

/** About four characters a token: scripted runs show plausible usage without a tokenizer. */
function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
