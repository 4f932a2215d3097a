import type { ToolJob, ToolResult } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { InProcessTools } from './in-process-tools.ts';

const job = (tool: string): ToolJob => ({ sessionId: 's', correlationId: 's', callId: 'c1', tool, input: {}, idempotencyKey: 's/c1', firstDispatch: true });
const resultOf = (job: ToolJob, output: string): ToolResult => ({ type: 'tool.result', sessionId: job.sessionId, callId: job.callId, tool: job.tool, outcome: { status: 'completed', output }, durationMs: 1 });

describe('InProcessTools', () => {
  it('runs nothing while no executor serves it: every job goes over NATS', () => {
    expect(new InProcessTools().run(job('kb.lookup'), undefined)).toBeUndefined();
  });

  it('hands a job to the first executor that takes it, passing on those that do not', async () => {
    const tools = new InProcessTools();
    const asked: string[] = [];
    tools.serve((sent) => (asked.push('first'), sent.tool === 'a.tool' ? Promise.resolve(resultOf(sent, 'first')) : undefined));
    tools.serve((sent, traceparent) => (asked.push('second'), Promise.resolve(resultOf(sent, `second ${traceparent}`))));
    expect(await tools.run(job('a.tool'), undefined)).toMatchObject({ outcome: { output: 'first' } });
    expect(await tools.run(job('b.tool'), '00-trace')).toMatchObject({ outcome: { output: 'second 00-trace' } });
    expect(asked).toEqual(['first', 'first', 'second']);
  });

  it('stops handing jobs to an executor that stopped serving', () => {
    const tools = new InProcessTools();
    const stop = tools.serve((sent) => Promise.resolve(resultOf(sent, 'here')));
    stop();
    stop();
    expect(tools.run(job('a.tool'), undefined)).toBeUndefined();
  });
});
