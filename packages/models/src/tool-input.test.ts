import { describe, expect, it } from 'vitest';
import { fromArguments } from './openai-wire.ts';
import { recordableToolInput } from './tool-input.ts';

describe('a tool input from a model', () => {
  it('is passed on as sent', () => {
    expect(recordableToolInput({ path: 'a.md' })).toEqual({ path: 'a.md' });
    expect(fromArguments('{"path":"a.md"}')).toEqual({ path: 'a.md' });
  });

  it('stays text when it holds a "__proto__" key, which the log could not read back', () => {
    const text = '{"path":"a.md","__proto__":{"admin":true}}';
    expect(fromArguments(text)).toBe(text);
    expect(recordableToolInput(JSON.parse(text))).toBe(text);
  });
});
