import type { SessionEvent } from '@signalbox/events';
import { createRuntimeMetrics } from '@signalbox/runtime';
import { describe, expect, it } from 'vitest';
import { countAppended } from './appended-metrics.ts';

const meta = (n: number) => ({ id: `e${n}`, v: 1, sessionId: 's1', n, at: 0, causationId: null, correlationId: 's1', by: { service: 'test', instance: 't' } });
const usage = { inputTokens: 100, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0 };

describe('countAppended', () => {
  it('counts a step, its latency, tokens and cost per model reply, and each recorded intervention', async () => {
    const metrics = createRuntimeMetrics('t');
    const events = [
      { ...meta(3), type: 'model.responded', data: { callId: 'm1', model: 'claude', content: [], stopReason: 'end_turn', usage, costUsd: 0.5, latencyMs: 1_500 } },
      { ...meta(4), type: 'supervisor.intervened', data: { detector: 'repetition', action: 'nudge', reason: 'looping', evidence: [3] } },
      { ...meta(5), type: 'model.requested', data: { callId: 'm2', model: 'claude', digest: 'x', digestScheme: 'message-chain', attempt: 1 } },
    ] as SessionEvent[];
    countAppended(metrics)(events);
    const text = await metrics.registry.metrics();
    expect(text).toContain('signalbox_steps_total{model="claude",instance="t"} 1');
    expect(text).toContain('signalbox_model_tokens_total{model="claude",direction="input",instance="t"} 100');
    expect(text).toContain('signalbox_cost_usd_total{model="claude",instance="t"} 0.5');
    expect(text).toContain('signalbox_model_call_seconds_bucket{le="2.5",instance="t",model="claude"} 1');
    expect(text).toContain('signalbox_interventions_total{detector="repetition",action="nudge",instance="t"} 1');
  });
});
