import type { Message, ModelRequest } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { ModelError } from './provider.ts';
import { hostileFormats, verdictFormat } from './structured-output.fixtures.ts';
import { createScriptedProvider } from './scripted.ts';

const provider = createScriptedProvider([
  { text: 'Let me write that down.' },
  { tool: 'workspace.write', input: { path: 'a.md', content: 'hi' } },
  { final: 'Saved.' },
]);

function request(messages: Message[]): ModelRequest {
  return { model: 'scripted', messages, tools: [], maxTokens: 100 };
}
const user: Message = { role: 'user', content: [{ type: 'text', text: 'save hi' }] };

describe('scripted provider', () => {
  it('plays text and a tool call as the first turn', async () => {
    const reply = await provider.complete(request([user]));
    expect(reply.stopReason).toBe('tool_use');
    expect(reply.content).toEqual([
      { type: 'text', text: 'Let me write that down.' },
      { type: 'tool_use', id: 'call_1', name: 'workspace.write', input: { path: 'a.md', content: 'hi' } },
    ]);
    expect(reply.usage.inputTokens).toBeGreaterThan(0);
  });

  it('tells a listener its text word by word, and replies the same as without one', async () => {
    const pieces: string[] = [];
    const streamed = await provider.complete(request([user]), { onText: (delta) => pieces.push(delta) });
    expect(pieces).toEqual(['Let ', 'me ', 'write ', 'that ', 'down.']);
    expect(streamed).toEqual(await provider.complete(request([user])));
  });

  it('plays the final answer once the request holds the first turn', async () => {
    const first = await provider.complete(request([user]));
    const second = await provider.complete(
      request([
        user,
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', toolUseId: 'call_1', content: 'ok', isError: false }] },
      ]),
    );
    expect(second).toMatchObject({ stopReason: 'end_turn', content: [{ type: 'text', text: 'Saved.' }] });
  });

  it('fails, without retry, when asked for more turns than the script has', async () => {
    const done: Message = { role: 'assistant', content: [{ type: 'text', text: 'x' }] };
    const error = await provider.complete(request([user, done, user, done, user])).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ code: 'script_exhausted', retryable: false });
  });

  it('counts turns and tokens afresh when a request does not extend the one before it', async () => {
    const script = [{ tool: 'workspace.read', input: {} }, { tool: 'workspace.read', input: {} }, { final: 'done' }];
    const result = (content: string): Message => ({ role: 'user', content: [{ type: 'tool_result', toolUseId: 'call_1', content, isError: false }] });
    const turn: Message = { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'workspace.read', input: {} }] };
    const long = [user, turn, result('a much longer tool output than the other')];
    const short = [user, turn, result('short')];
    const reused = createScriptedProvider(script);
    await reused.complete(request([user]));
    const afterLong = await reused.complete(request(long));
    // The same first message, then other messages: a fork of the conversation.
    const afterShort = await reused.complete(request(short));
    expect(afterShort).toEqual(await createScriptedProvider(script).complete(request(short)));
    expect(afterLong).toEqual(await createScriptedProvider(script).complete(request(long)));
    expect(afterShort.usage.inputTokens).toBeLessThan(afterLong.usage.inputTokens);
    expect(afterShort.content).toEqual([{ type: 'tool_use', id: 'call_2', name: 'workspace.read', input: {} }]);
  });

  it('adds up a request whose latest messages are equal copies of the last request\'s as a fresh provider would', async () => {
    const script = [{ tool: 'workspace.read', input: {} }, { tool: 'workspace.read', input: {} }, { final: 'done' }];
    const turn: Message = { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'workspace.read', input: {} }] };
    const result: Message = { role: 'user', content: [{ type: 'tool_result', toolUseId: 'call_1', content: 'text', isError: false }] };
    const reused = createScriptedProvider(script);
    await reused.complete(request([user, turn]));
    const copies = await reused.complete(request([user, structuredClone(turn), result]));
    expect(copies).toEqual(await createScriptedProvider(script).complete(request([user, turn, result])));
  });

  it('plays its script for a request that asks for structured output, and refuses a hostile schema as the adapters do', async () => {
    const verdict = '{"passed":true,"reason":"scripted"}';
    const grader = createScriptedProvider([{ final: verdict }]);
    const asked = { ...request([user]), responseFormat: verdictFormat };
    expect(await grader.complete(asked)).toEqual(await grader.complete(request([user])));
    expect((await grader.complete(asked)).content).toEqual([{ type: 'text', text: verdict }]);
    for (const { format, says } of hostileFormats) {
      const error = await grader.complete({ ...asked, responseFormat: format }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'invalid_request', retryable: false, message: expect.stringMatching(says) });
    }
  });
});
