import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { advertisementOf, defineTool } from './tool.ts';

const echo = defineTool({
  name: 'text.echo',
  description: 'Say it back',
  input: z.object({ text: z.string().describe('What to say'), times: z.number().int().default(1) }),
  run: ({ text, times }) => text.repeat(times),
});

describe('defineTool', () => {
  it('defaults to an idempotent tool with a timeout', () => {
    expect(echo).toMatchObject({ name: 'text.echo', idempotent: true, timeoutMs: 60_000 });
  });

  it('refuses a name that cannot be a subject token or a key', () => {
    expect(() => defineTool({ name: 'Text Echo', description: '', input: z.object({}), run: () => '' })).toThrow(/tool name/);
  });
});

describe('advertisementOf', () => {
  it('shows the model the JSON Schema of the input it may send', () => {
    expect(advertisementOf(echo)).toEqual({
      name: 'text.echo',
      description: 'Say it back',
      idempotent: true,
      inputSchema: {
        type: 'object',
        properties: {
          text: { type: 'string', description: 'What to say' },
          times: { type: 'integer', default: 1, minimum: expect.any(Number), maximum: expect.any(Number) },
        },
        required: ['text'],
      },
    });
  });
});
