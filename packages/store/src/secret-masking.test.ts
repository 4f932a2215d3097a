import { describe, expect, it } from 'vitest';
import { holdsSecret, maskSecrets } from './secret-masking.ts';

const token = 'ghp_Canary/Value+42=x';
const secrets = new Map([['GITHUB_TOKEN', token]]);
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('maskSecrets', () => {
  it.each([
    ['as it is', `token is ${token}.`],
    ['URL-encoded', `?t=${encodeURIComponent(token)}`],
    ['in base64', `echo ${b64(token)} done`],
    ['in URL-safe base64', `echo ${Buffer.from(token).toString('base64url')} done`],
    ['inside a Basic credential', `Authorization: Basic ${b64(`user:${token}`)}`],
    ['inside percent-encoded base64', `a=${encodeURIComponent(b64(`x${token}`))}`],
    ['as a JSON string holds it', JSON.stringify({ echoed: `say "${token}"` })],
  ])('replaces the value %s with [secret:NAME]', (_form, text) => {
    const masked = maskSecrets(text, secrets);
    expect(masked).toContain('[secret:GITHUB_TOKEN]');
    expect(holdsSecret(masked, secrets)).toBe(false);
    expect(masked).not.toContain(token);
  });

  it('leaves text without the value as it is, base64 runs included', () => {
    const text = `nothing here ${b64('an ordinary sentence, no token')} ok`;
    expect(maskSecrets(text, secrets)).toBe(text);
  });

  it('masks the longer of two values that contain one another whole, and each by its own name', () => {
    const both = new Map([['SHORT', 'abc123xyz'], ['LONG', 'abc123xyz-and-more']]);
    expect(maskSecrets('abc123xyz-and-more / abc123xyz', both)).toBe('[secret:LONG] / [secret:SHORT]');
  });

  it('masks nothing for no secrets, and ignores an empty value', () => {
    expect(maskSecrets('text', new Map())).toBe('text');
    expect(maskSecrets('text', new Map([['EMPTY', '']]))).toBe('text');
  });
});
