import { replaySummary } from '@signalbox/client';
import type { NewEvent, SessionEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { excerptLength } from './excerpts.ts';
import { replayTimeline } from './replay-timeline.ts';

const usage = { inputTokens: 1_000, outputTokens: 200, cacheReadTokens: 0, cacheWriteTokens: 0 };
const agent = { name: 'claude', model: 'anthropic/claude-sonnet-4-6', system: 'Be brief.', tools: ['workspace.write'], budget: { maxSteps: 5 }, maxTokens: 1024, subagents: [] };
const long = 'x'.repeat(excerptLength + 1234);

const run: NewEvent[] = [
  { type: 'session.created', data: { agent, input: 'save hi', tools: [], budget: { maxSteps: 5 }, deciderVersion: 1 } },
  { type: 'model.requested', data: { callId: 'm1', model: agent.model, digest: 'abcdef0123456789', digestScheme: 'message-chain', attempt: 1 } },
  {
    type: 'model.responded',
    data: { callId: 'm1', model: 'claude-sonnet-4-6', content: [{ type: 'tool_use', id: 't1', name: 'workspace.write', input: { path: 'a.md' } }], stopReason: 'tool_use', usage, costUsd: 0.006, latencyMs: 812 },
  },
  { type: 'tool.requested', data: { callId: 't1', tool: 'workspace.write', input: { path: 'a.md', content: long }, idempotencyKey: 's1/t1' } },
  { type: 'tool.failed', data: { callId: 't1', tool: 'workspace.write', error: 'EACCES', durationMs: 4 } },
  { type: 'model.requested', data: { callId: 'm2', model: agent.model, digest: 'ffff', digestScheme: 'message-chain', attempt: 1 } },
  { type: 'model.failed', data: { callId: 'm2', code: 'overloaded', message: 'try later', retryable: true, attempt: 1 } },
  { type: 'model.requested', data: { callId: 'm2', model: agent.model, digest: 'ffff', digestScheme: 'message-chain', attempt: 2 } },
  { type: 'model.responded', data: { callId: 'm2', model: 'claude-sonnet-4-6', content: [{ type: 'text', text: 'Could not save.' }], stopReason: 'end_turn', usage, costUsd: 0.006, latencyMs: 700 } },
  { type: 'session.completed', data: { status: 'succeeded', output: 'Could not save.', totals: { steps: 2, toolCalls: 1, inputTokens: 2_000, outputTokens: 400, costUsd: 0.012 } } },
];
const events = run.map((event, index) => ({
  ...event,
  id: `e${index + 1}`,
  v: 1,
  sessionId: 's1',
  n: index + 1,
  at: 1_700_000_000_000 + index * 250,
  causationId: null,
  correlationId: 's1',
  by: { service: 'test', instance: 't' },
})) as SessionEvent[];

describe('replayTimeline', () => {
  const lines = replayTimeline(events);
  const text = lines.join('\n');

  it('numbers the steps and shows each model call with its cost', () => {
    expect(lines.filter((line) => /^step \d/.test(line))).toEqual(['step 1', 'step 2']);
    expect(text).toContain('model.responded      claude-sonnet-4-6 · 1000 in / 200 out tokens · $0.0060 · 812 ms · tool_use');
    expect(text).toContain('→ workspace.write {"path":"a.md"}');
  });

  it('shows failures with their code, whether they are retried, and the attempt', () => {
    expect(text).toContain('model.failed         m2 overloaded · retryable · attempt 1');
    expect(text).toContain('✗ EACCES');
  });

  it('cuts long texts and says how to see them whole', () => {
    const input = `input: ${JSON.stringify({ path: 'a.md', content: long })}`;
    expect(text).toContain(`${input.slice(0, excerptLength)}… (+${input.length - excerptLength} chars, --full)`);
    const full = replayTimeline(events, { full: true }).join('\n');
    expect(full).toContain(long);
    expect(full).not.toContain('--full)');
  });

  it('ends with the status and totals, plain unless colour is asked for', () => {
    expect(lines.at(-1)).toBe('succeeded · 10 events · 2.250 s · 2 steps · 3 model calls · 1 tool calls · 2000 in / 400 out tokens · $0.0120 · 1 model failures · 1 tool failures');
    expect(text).not.toContain('\u001b[');
    expect(replayTimeline(events, { colour: true }).join('\n')).toContain('\u001b[');
  });

  it('stops at event n with --to, counting totals from what it replayed', () => {
    const cut = replayTimeline(events, { to: 5 });
    expect(cut.some((line) => line.includes('#  6'))).toBe(false);
    expect(cut.at(-1)).toBe('stopped at #5 of 10 (--to)');
    expect(replaySummary(events, 5)).toMatchObject({ status: 'running', to: 5, totals: { steps: 1, toolCalls: 1, inputTokens: 1000, costUsd: 0.006 }, toolFailures: 1 });
  });
});
