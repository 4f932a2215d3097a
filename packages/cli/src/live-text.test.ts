import { describe, expect, it } from 'vitest';
import { liveLine } from './live-text.ts';

describe('live text lines', () => {
  it("prints a call's text as it comes and ends it with a newline", () => {
    const open = new Set<string>();
    const printed = [
      liveLine({ callId: 'm1', attempt: 1, seq: 0, text: 'Hel' }, open),
      liveLine({ callId: 'm1', attempt: 1, seq: 1, text: 'lo' }, open),
      liveLine({ callId: 'm1', attempt: 1, seq: 2, done: true, failed: false }, open),
    ];
    expect(printed.join('')).toBe('Hello\n');
  });

  it('prints nothing for a call without text, and says when a call failed', () => {
    const open = new Set<string>();
    expect(liveLine({ callId: 'm1', attempt: 1, seq: 0, done: true, failed: false }, open)).toBe('');
    liveLine({ callId: 'm2', attempt: 1, seq: 0, text: 'half' }, open);
    expect(liveLine({ callId: 'm2', attempt: 1, seq: 1, done: true, failed: true }, open)).toBe('\n(the model call m2 failed; its failure is in the log)\n');
  });
});
