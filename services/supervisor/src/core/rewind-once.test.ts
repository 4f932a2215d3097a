import { describe, expect, it } from 'vitest';
import { rewindOnce } from './rewind-once.ts';

describe('a rewind’s fork is rewound once', () => {
  it('takes the ladder’s next rung for a rewind, a pause when rewind is the last; other actions and other sessions as they were', () => {
    expect(rewindOnce('rewind', ['nudge', 'rewind', 'abort'], true)).toBe('abort');
    expect(rewindOnce('rewind', ['rewind', 'rewind', 'switch_model'], true)).toBe('switch_model');
    expect(rewindOnce('rewind', ['nudge', 'rewind'], true)).toBe('pause');
    expect(rewindOnce('nudge', ['nudge', 'rewind', 'abort'], true)).toBe('nudge');
    expect(rewindOnce('rewind', ['nudge', 'rewind', 'abort'], false)).toBe('rewind');
  });
});
