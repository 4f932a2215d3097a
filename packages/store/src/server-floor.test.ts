import { describe, expect, it } from 'vitest';
import { isAtLeast, serverFloor } from './server-floor.ts';

describe('isAtLeast', () => {
  it('orders by major, minor and patch as numbers', () => {
    expect(isAtLeast('2.9.10', '2.12.0')).toBe(false);
    expect(isAtLeast('2.12.1', serverFloor)).toBe(true);
    expect(isAtLeast('2.15.1', serverFloor)).toBe(true);
    expect(isAtLeast('v2.12.0', serverFloor)).toBe(true);
  });

  it('puts a pre-release before its release', () => {
    expect(isAtLeast('2.12.0-RC.2', serverFloor)).toBe(false);
    expect(isAtLeast('2.12.1-RC.1', serverFloor)).toBe(true);
  });

  it('says no to what is not a version', () => {
    for (const text of ['2.12', 'dev', '', 'unknown']) expect(isAtLeast(text, serverFloor)).toBe(false);
  });
});
