import type { AgentDefinition, ModelRequest } from '@signalbox/events';
import { ModelError, type ModelProvider } from '@signalbox/models';
import { describe, expect, it } from 'vitest';
import { InFlightCalls } from './interrupts.ts';
import { callModel } from './model-caller.ts';

const agent: AgentDefinition = { name: 'pal', model: 'anthropic/claude-sonnet-4-6', system: '', tools: [], budget: { maxSteps: 3 }, maxTokens: 100, subagents: [] };
const request: ModelRequest = { model: 'claude-sonnet-4-6', system: '', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], tools: [], maxTokens: 100 };

/** A provider that answers only when aborted, as an SDK does: with an abort error. */
const hanging: ModelProvider = {
  name: 'anthropic',
  complete: (_request, options) =>
    new Promise((_, reject) => {
      const aborted = () => reject(new ModelError('connection', 'Request was aborted.', { retryable: true }));
      if (options?.signal?.aborted) aborted();
      options?.signal?.addEventListener('abort', aborted);
    }),
};
const resolve = () => ({ provider: hanging, costOf: () => 0 });

describe('a model call in flight', () => {
  it('abandoned by an interrupt answers with the interrupt, to be recorded instead of a failure', async () => {
    const calls = new InFlightCalls();
    const signal = calls.begin('s1');
    const answer = callModel(resolve, agent, { callId: 'm1', request }, Date.now, { signal });
    calls.stop('s2', { by: 'cli:bob', reason: '', interruptId: 'other' });
    calls.stop('s1', { by: 'cli:ann', reason: 'not that', interruptId: 'i1' });
    expect(await answer).toEqual({ type: 'Interrupt', by: 'cli:ann', reason: 'not that', interruptId: 'i1' });
    calls.end('s1', signal);
  });

  it('records what the abandoned call cost, as far as its provider reported it while it streamed', async () => {
    const reporting: ModelProvider = {
      name: 'anthropic',
      complete: (_request, options) =>
        new Promise((_, reject) => {
          options?.onUsage?.({ inputTokens: 1_200, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 });
          options?.signal?.addEventListener('abort', () => reject(new ModelError('connection', 'Request was aborted.', { retryable: true })));
        }),
    };
    const calls = new InFlightCalls();
    const signal = calls.begin('s1');
    const answer = callModel(() => ({ provider: reporting, costOf: (usage) => usage.inputTokens * 0.000003 }), agent, { callId: 'm1', request }, Date.now, { signal });
    await new Promise((resolve) => setTimeout(resolve, 0));
    calls.stop('s1', { by: 'cli:ann', reason: '', interruptId: 'i1' });
    expect(await answer).toMatchObject({ type: 'Interrupt', interruptId: 'i1', usage: { inputTokens: 1_200 }, costUsd: 0.0036 });
  });

  it('is left alone by an interrupt of another session, or of one whose call has ended', async () => {
    const calls = new InFlightCalls();
    const signal = calls.begin('s1');
    calls.end('s1', signal);
    calls.stop('s1', { by: 'cli:ann', reason: '', interruptId: 'i1' });
    expect(signal.aborted).toBe(false);
  });
});
