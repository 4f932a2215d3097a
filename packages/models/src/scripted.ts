import type { Message, ModelRequest, ModelResponse, ScriptStep, TextBlock, ToolUseBlock } from '@signalbox/events';
import { ModelError, type ModelProvider } from './provider.ts';

type Turn = { texts: string[]; end: Extract<ScriptStep, { tool: string }> | Extract<ScriptStep, { final: string }> | undefined };

/**
 * A deterministic model for demos and tests: the script's steps, grouped into turns. Each turn is
 * the `{text}` steps up to and including the next `{tool}` (a tool call) or `{final}` (the answer).
 * It is stateless: which turn to play is read from how many assistant turns the request holds.
 */
export function createScriptedProvider(script: readonly ScriptStep[]): ModelProvider {
  const turns = turnsOf(script);
  return {
    name: 'scripted',
    complete: async (request: ModelRequest): Promise<ModelResponse> => {
      const index = request.messages.filter((message) => message.role === 'assistant').length;
      const turn = turns[index];
      if (!turn) {
        throw new ModelError('script_exhausted', `the script has ${turns.length} turns and turn ${index + 1} was asked for`, {
          retryable: false,
        });
      }
      return replyFor(turn, index, request);
    },
  };
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

function replyFor(turn: Turn, index: number, request: ModelRequest): ModelResponse {
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
      inputTokens: request.messages.reduce((sum, message) => sum + tokensOf(message), estimateTokens(request.system ?? '')),
      outputTokens: estimateTokens(JSON.stringify(content)),
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    },
  };
}

/**
 * Per message, and remembered: a request repeats every earlier message, so estimating the whole
 * conversation afresh on every call would make a scripted session's steps cost more the longer it runs.
 */
const messageTokens = new WeakMap<Message, number>();

function tokensOf(message: Message): number {
  let tokens = messageTokens.get(message);
  if (tokens === undefined) {
    tokens = estimateTokens(JSON.stringify(message));
    messageTokens.set(message, tokens);
  }
  return tokens;
}

/** About four characters a token: scripted runs show plausible usage without a tokenizer. */
function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
