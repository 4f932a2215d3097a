import { compactionInstructions, type ModelRequest, type ModelResponse, type SessionEvent } from '@signalbox/events';
import { ModelError, type ModelProvider } from '@signalbox/models';
import { defineTool, workspaceTools } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

const windowTokens = 6_000;
const pages = 500;
/** The sizes of the requests the model was sent, in its own estimate of tokens. */
const requestTokens: number[] = [];

const page = defineTool({
  name: 'book.page',
  description: 'Reads one page of the book',
  input: z.object({ n: z.number().int().positive() }),
  run: ({ n }) => `page ${n} of the book: ${'It was a dark and stormy night; the rain fell in torrents. '.repeat(12)}`,
});

const reply = (content: ModelResponse['content'], stopReason: ModelResponse['stopReason']): ModelResponse => ({ model: 'book-reader', content, stopReason, usage: { inputTokens: 10, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0 } });

/**
 * A model with a small window that refuses any request over it, as a provider does. It reads the book
 * a page a call, going on from the last page its context shows (a summary says which), and writes the
 * summaries a compaction asks for.
 */
const reader: ModelProvider = {
  name: 'book-reader',
  complete: async (request: ModelRequest) => {
    const tokens = Math.ceil(JSON.stringify([request.system ?? '', request.tools, request.messages]).length / 4);
    requestTokens.push(tokens);
    if (tokens > windowTokens) throw new ModelError('context_too_long', `the prompt is ${tokens} tokens, over the ${windowTokens}-token window`, { retryable: false });
    const read = Math.max(0, ...[...JSON.stringify(request.messages).matchAll(/page (\d+) of the book/g)].map((match) => Number(match[1])));
    if (request.system === compactionInstructions) return reply([{ type: 'text', text: `The agent reads the book a page at a time; so far it has read up to page ${read} of the book.` }], 'end_turn');
    if (read >= pages) return reply([{ type: 'text', text: `Read all ${pages} pages.` }], 'end_turn');
    return reply([{ type: 'tool_use', id: `read_${read + 1}`, name: 'book.page', input: { n: read + 1 } }], 'tool_use');
  },
};

let runtime: TestRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime({
    actor: { resolveModel: () => ({ provider: reader, costOf: () => 0.0001 }) },
    tools: [...workspaceTools, page],
    agents: [
      { name: 'reader', model: 'fake/book-reader', tools: ['book.page'], budget: { maxSteps: 1_000 }, context: { windowTokens } },
      { name: 'careless', model: 'fake/book-reader', tools: ['book.page'], budget: { maxSteps: 1_000 } },
    ],
  });
});
afterAll(async () => {
  await runtime?.dispose();
});

describe('context compaction', () => {
  it(`drives ${pages} tool calls through a model that fails any request over its window, and finishes`, { timeout: 120_000 }, async () => {
    requestTokens.length = 0;
    await runtime.client.submit('reader', { input: `Read the whole book, ${pages} pages, one page a call.`, sessionId: 'book-1' });
    const events = await runtime.completedSession('book-1', 110_000);
    const compactions = events.filter((event): event is Extract<SessionEvent, { type: 'context.compacted' }> => event.type === 'context.compacted');
    expect(events.filter((event) => event.type === 'tool.completed')).toHaveLength(pages);
    expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded', output: `Read all ${pages} pages.` } });
    expect(events.filter((event) => event.type === 'model.failed')).toEqual([]);
    expect(Math.max(...requestTokens)).toBeLessThanOrEqual(windowTokens);
    expect(compactions.length).toBeGreaterThan(10);
    for (const compaction of compactions) {
      expect(compaction.data.summary).toMatch(/read up to page \d+ of the book/);
      expect(compaction.data.tokensAfter).toBeLessThan(compaction.data.tokensBefore);
    }
    // Each compaction takes up where the one before stopped; the summaries' cost is in the totals.
    compactions.slice(1).forEach((compaction, i) => expect(compaction.data.from).toBe(compactions[i]?.data.upTo));
    expect(await runtime.client.check('book-1')).toMatchObject({ ok: true });
  });

  it('without a window, the same run fails when its request overflows, as it would against a provider', { timeout: 60_000 }, async () => {
    await runtime.client.submit('careless', { input: `Read the whole book, ${pages} pages, one page a call.`, sessionId: 'book-2' });
    const events = await runtime.completedSession('book-2', 50_000);
    expect(events.filter((event) => event.type === 'context.compacted')).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'failed', reason: expect.stringMatching(/context_too_long/) } });
  });
});
