import type { ToolJob, ToolResult } from '@signalbox/events';
import { createLogger, InProcessTools } from '@signalbox/runtime';
import { describe, expect, it } from 'vitest';
import type { ToolPort } from './effect-ports.ts';
import { InProcessCalls, inProcessToolPort } from './in-process-calls.ts';

const logger = createLogger({ service: 'session-actor', instance: 'test', level: 'silent' });
const job = (callId: string, tool: string): ToolJob => ({ sessionId: 's', correlationId: 's', callId, tool, input: {}, idempotencyKey: `s/${callId}`, firstDispatch: true });
const resultOf = (sent: ToolJob): ToolResult => ({ type: 'tool.result', sessionId: sent.sessionId, callId: sent.callId, tool: sent.tool, outcome: { status: 'completed', output: 'here' }, durationMs: 1 });

/** A live port that records what it was sent over NATS. */
function liveTools(): ToolPort & { sent: string[] } {
  const sent: string[] = [];
  return { sent, dispatch: async (_, jobs) => (sent.push(...jobs.map((sentJob) => sentJob.callId)), []) };
}

describe('inProcessToolPort', () => {
  it('keeps the calls an executor here runs for the session, and sends the others over NATS', async () => {
    const tools = new InProcessTools();
    tools.serve((sent) => (sent.tool === 'kb.lookup' ? Promise.resolve(resultOf(sent)) : undefined));
    const live = liveTools();
    const calls = new InProcessCalls();
    const answered = await inProcessToolPort(live, tools, calls, logger).dispatch('s', [job('c1', 'kb.lookup'), job('c2', 'card.charge'), job('c3', 'kb.lookup')]);
    expect(answered).toEqual([]);
    expect(live.sent).toEqual(['c2']);
    expect((await Promise.all(calls.take('s'))).map((result) => result?.callId)).toEqual(['c1', 'c3']);
    expect(calls.take('s')).toEqual([]);
  });

  it('sends a call that failed here over NATS after all, and has no result for it', async () => {
    const tools = new InProcessTools();
    tools.serve(() => Promise.reject(new Error('the ledger is out of reach')));
    const live = liveTools();
    const calls = new InProcessCalls();
    await inProcessToolPort(live, tools, calls, logger).dispatch('s', [job('c1', 'kb.lookup')]);
    expect(await Promise.all(calls.take('s'))).toEqual([undefined]);
    expect(live.sent).toEqual(['c1']);
  });

  it('passes each call its span', async () => {
    const tools = new InProcessTools();
    const spans: (string | undefined)[] = [];
    tools.serve((sent, traceparent) => (spans.push(traceparent), Promise.resolve(resultOf(sent))));
    await inProcessToolPort(liveTools(), tools, new InProcessCalls(), logger, (sent) => `span-of-${sent.callId}`).dispatch('s', [job('c1', 'kb.lookup')]);
    expect(spans).toEqual(['span-of-c1']);
  });
});

describe('a chain of steps', () => {
  it('runs at most its limit of calls here, sends the next over NATS, and starts afresh once ended', async () => {
    const tools = new InProcessTools();
    tools.serve((sent) => Promise.resolve(resultOf(sent)));
    const live = liveTools();
    const calls = new InProcessCalls(2);
    const port = inProcessToolPort(live, tools, calls, logger);
    await port.dispatch('s', [job('c1', 'kb.lookup')]);
    await port.dispatch('s', [job('c2', 'kb.lookup'), job('c3', 'kb.lookup')]);
    await port.dispatch('other', [job('o1', 'kb.lookup')]);
    expect(live.sent).toEqual(['c3']);
    calls.ended('s');
    await port.dispatch('s', [job('c4', 'kb.lookup')]);
    expect(live.sent).toEqual(['c3']);
    expect((await Promise.all(calls.take('s'))).map((result) => result?.callId)).toEqual(['c1', 'c2', 'c4']);
  });
});

describe('InProcessCalls', () => {
  it('keeps each session\'s calls apart, and hands each over once', async () => {
    const calls = new InProcessCalls();
    calls.add('a', Promise.resolve(undefined));
    calls.add('b', Promise.resolve(undefined));
    calls.add('a', Promise.resolve(undefined));
    expect(calls.take('a')).toHaveLength(2);
    expect(calls.take('a')).toHaveLength(0);
    expect(calls.take('b')).toHaveLength(1);
  });
});
