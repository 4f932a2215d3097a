import type { SessionSummary } from '@signalbox/client';
import { describe, expect, it } from 'vitest';
import { formatDiff } from './fork-commands.ts';

const totals = { steps: 2, toolCalls: 1, inputTokens: 40, outputTokens: 12, costUsd: 0.002 };
const summary = (sessionId: string, status: SessionSummary['status']): SessionSummary => ({
  sessionId, agent: 'summariser', status, events: 8, durationMs: 31, totals, output: undefined, reason: undefined, grades: [],
});

describe('signalbox diff output', () => {
  it('names the divergence, then both sessions side by side', () => {
    const text = formatDiff({
      divergence: { n: 5, a: { type: 'tool.failed', data: { error: 'missing' } } as never, b: undefined },
      a: summary('original', 'failed'),
      b: summary('edited', 'succeeded'),
    });
    expect(text.split('\n')).toEqual([
      'first divergence at event 5:',
      '  a: tool.failed {"error":"missing"}',
      '  b: (no event: the log ends before it)',
      '',
      'session      original  edited',
      'outcome      failed    succeeded',
      'events       8         8',
      'steps        2         2',
      'tool calls   1         1',
      'tokens       40→12     40→12',
      'cost         $0.0020   $0.0020',
      'grades       -         -',
      'grading cost -         -',
      'duration     31 ms     31 ms',
    ]);
  });

  it('shows each session\'s grades in order and what grading cost', () => {
    const graded: SessionSummary = {
      ...summary('graded', 'succeeded'),
      totals: { ...totals, grading: { inputTokens: 20, outputTokens: 4, costUsd: 0.001 } },
      grades: [{ attempt: 1, passed: false, score: 0.4 }, { attempt: 2, passed: true, score: 1 }],
    };
    const rows = formatDiff({ divergence: undefined, a: graded, b: summary('plain', 'succeeded') }).split('\n');
    expect(rows).toContain('grades       1 fail 0.40, 2 pass 1.00  -');
    expect(rows).toContain('grading cost $0.0010                   -');
  });
});
