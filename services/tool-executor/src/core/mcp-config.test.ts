import { describe, expect, it } from 'vitest';
import { resolveValue } from './mcp-config.ts';

describe('resolveValue', () => {
  it('puts the secret in its template', () => {
    const secrets = new Map([['K', 'v4lue']]);
    expect(resolveValue('plain', secrets)).toBe('plain');
    expect(resolveValue({ secret: 'K' }, secrets)).toBe('v4lue');
    expect(resolveValue({ secret: 'K', template: 'Bearer {secret}' }, secrets)).toBe('Bearer v4lue');
  });
});
