import { describe, expect, it } from 'vitest';
import { defaultRequester } from './pause-commands.ts';

describe('pause and resume', () => {
  it('acts as cli:<os user> when --as is not given', () => {
    expect(defaultRequester()).toMatch(/^cli(:.+)?$/);
  });
});
