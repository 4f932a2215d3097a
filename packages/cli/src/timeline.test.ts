import type { NewEvent, SessionEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { textsOf } from './event-texts.ts';
import { formatEvent } from './timeline.ts';

const usage = { inputTokens: 48, outputTokens: 58, cacheReadTokens: 0, cacheWriteTokens: 0 };
const totals = { steps: 3, toolCalls: 3, inputTokens: 300, outputTokens: 200, costUsd: 0 };

function at(n: number, event: NewEvent, ms: number): SessionEvent {
  return { ...event, id: `e${n}`, v: 1, sessionId: 's', n, at: Date.UTC(2026, 0, 5, 22, 57, 34, ms), causationId: null, correlationId: 's', by: { service: 't', instance: 't' } };
}

describe('a live timeline line', () => {
  it('shows the number, time of day, type and what matters about the event', () => {
    const lines = [
      at(2, { type: 'model.requested', data: { callId: 'm1', model: 'scripted', digest: 'd', digestScheme: 'message-chain', attempt: 1 } }, 307),
      at(3, { type: 'model.responded', data: { callId: 'm1', model: 'scripted', content: [{ type: 'text', text: "I'll write the note first." }], stopReason: 'tool_use', usage, costUsd: 0, latencyMs: 1 } }, 313),
      at(5, { type: 'permission.granted', data: { callId: 't1', tool: 'workspace.write', effect: 'allow', reason: 'allowed by rule 1 (notes) of policy staging v1', policy: 'staging', policyVersion: 1 } }, 320),
      at(6, { type: 'tool.completed', data: { callId: 't1', tool: 'workspace.write', output: 'wrote 69 bytes to notes/hello.md', durationMs: 19 } }, 344),
      at(16, { type: 'session.completed', data: { status: 'succeeded', output: 'Wrote notes/hello.md.', totals } }, 373),
    ].map((event) => formatEvent(event, false));
    expect(lines).toEqual([
      '#  2 22:57:34.307  model.requested    m1 scripted',
      `#  3 22:57:34.313  model.responded    tool_use 48→58 tok $0.0000 1ms "I'll write the note first."`,
      '#  5 22:57:34.320  permission.granted workspace.write (t1): allowed by rule 1 (notes) of policy staging v1',
      '#  6 22:57:34.344  tool.completed     workspace.write 19ms → "wrote 69 bytes to notes/hello.md"',
      '# 16 22:57:34.373  session.completed  succeeded → "Wrote notes/hello.md."',
    ]);
  });

  it('shows a replay line with the time since the run began and colours only when asked', () => {
    const event = at(7, { type: 'tool.failed', data: { callId: 't2', tool: 'workspace.read', error: 'EACCES', durationMs: 4 } }, 500);
    const start = Date.UTC(2026, 0, 5, 22, 57, 34, 250);
    expect(formatEvent(event, false, { kind: 'replay', start })).toBe('#  7   +0.250s  tool.failed          workspace.read (t2) · 4 ms');
    expect(formatEvent(event, true)).toContain('\u001b[');
  });
});

describe('approvals and interventions', () => {
  const start = Date.UTC(2026, 0, 5, 22, 57, 34, 0);
  const requested = at(10, {
    type: 'approval.requested',
    data: { effect: 'ask', reason: 'held for approval by rule 2 of policy release v1', approvalId: 's:0123456789ab', callId: 't4', tool: 'deploy.run', input: '{"ref":"v1.4"}', deadline: Date.UTC(2026, 0, 5, 23, 57, 34, 0) },
  }, 100);
  const resolved = at(11, { type: 'approval.resolved', data: { approvalId: 's:0123456789ab', callId: 't4', tool: 'deploy.run', approved: false, by: 'ann', note: 'not today' } }, 200);
  const intervened = at(12, { type: 'supervisor.intervened', data: { detector: 'repetition', action: 'nudge', reason: 'The agent is in a loop.', evidence: [4, 8, 12] } }, 300);

  it('show the approval held, its answer and a supervisor’s intervention, live and in a replay', () => {
    expect([requested, resolved, intervened].map((event) => formatEvent(event, false))).toEqual([
      '# 10 22:57:34.100  approval.requested deploy.run (t4) waits for approval s:0123456789ab until 2026-01-05T23:57:34.000Z: held for approval by rule 2 of policy release v1',
      '# 11 22:57:34.200  approval.resolved  deploy.run (t4) denied by ann: not today',
      '# 12 22:57:34.300  supervisor.intervened nudge by repetition: The agent is in a loop.',
    ]);
    expect(formatEvent(intervened, false, { kind: 'replay', start })).toBe('# 12   +0.300s  supervisor.intervened nudge · repetition · evidence #4, #8, #12');
    expect(textsOf(requested).bodies).toEqual(['held for approval by rule 2 of policy release v1', 'input: {"ref":"v1.4"}']);
  });

  it('show a rewind: where the fork starts and its id, the original’s end naming it, and the fork’s origin and hint', () => {
    const hint = 'The file does not change; run the test instead.';
    const rewound = at(16, { type: 'supervisor.intervened', data: { detector: 'repetition', action: 'rewind', reason: hint, evidence: [9, 14], at: 6, fork: 's-rewind-9' } }, 300);
    const ended = at(17, { type: 'session.completed', data: { status: 'aborted', reason: 'rewound by the supervisor', rewoundTo: 's-rewind-9', totals } }, 301);
    expect(formatEvent(rewound, false)).toBe(`# 16 22:57:34.300  supervisor.intervened rewind to #6 → s-rewind-9 by repetition: ${hint}`);
    expect(formatEvent(ended, false, { kind: 'replay', start })).toBe('# 17   +0.301s  session.completed    aborted · rewound to s-rewind-9');
    const agent = { name: 'looper', model: 'scripted', system: '', tools: [], maxTokens: 1024, subagents: [], budget: { maxSteps: 5 } };
    const created = at(1, { type: 'session.created', data: { agent, input: 'go', tools: [], budget: agent.budget, deciderVersion: 7, forkedFrom: { sessionId: 's', n: 6, hint } } }, 0);
    expect(formatEvent(created, false)).toMatch(/ · fork of s at #6 with a hint$/);
    expect(textsOf(created).bodies).toEqual(['input: go', `hint: ${hint}`]);
  });
});

describe('a judgement', () => {
  const judged = at(14, {
    type: 'supervisor.judged',
    data: { model: 'anthropic/claude-haiku-4-5', upTo: 12, verdict: 'off_track', reason: 'It edits the docs, not the parser.', evidence: [4, 9], usage: { ...usage, inputTokens: 2_000 }, costUsd: 0.0021 },
  }, 400);

  it('shows the verdict, how far the judge read, its model and cost, live and in a replay', () => {
    expect(formatEvent(judged, false)).toBe('# 14 22:57:34.400  supervisor.judged  off track up to #12 by anthropic/claude-haiku-4-5 $0.0021: It edits the docs, not the parser.');
    expect(formatEvent(judged, false, { kind: 'replay', start: Date.UTC(2026, 0, 5, 22, 57, 34, 0) })).toBe(
      '# 14   +0.400s  supervisor.judged    off track up to #12 · anthropic/claude-haiku-4-5 · 2000 in / 58 out tokens · $0.0021 · evidence #4, #9',
    );
    expect(textsOf(judged).bodies).toEqual(['It edits the docs, not the parser.']);
  });
});

describe('a tool output too long for its event', () => {
  const sha256 = 'ab'.repeat(32);
  const cut = at(9, { type: 'tool.completed', data: { callId: 't3', tool: 'workspace.read', output: `${'line\n'.repeat(50)}[truncated]`, durationMs: 3, wholeOutput: { sha256, chars: 300_000 } } }, 0);

  it('names its sha256 and the command that prints it whole, live and in a replay', () => {
    const whole = `whole output (300000 chars): signalbox output ${sha256}`;
    expect(formatEvent(cut, false)).toMatch(new RegExp(`workspace\\.read 3ms → ".*… · ${whole.replace(/[()]/g, '\\$&')}$`));
    expect(formatEvent(cut, false, { kind: 'replay', start: cut.at })).toContain('workspace.read (t3) · 3 ms · output cut');
    expect(textsOf(cut).bodies).toEqual([`→ ${'line\n'.repeat(50)}[truncated]`, whole]);
  });
});
