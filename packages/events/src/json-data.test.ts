import { describe, expect, it } from 'vitest';
import { decode, encode } from './codec.ts';
import { holdsProtoKey, JsonData } from './json-data.ts';
import { Task } from './task.ts';
import { z } from 'zod';

describe('free-form data from outside', () => {
  const poisoned = JSON.parse('{"path":"a.md","opts":[{"__proto__":{"admin":true}}]}') as unknown;

  it('finds an own "__proto__" key at any depth, which msgpack writes but will not read back', () => {
    expect(holdsProtoKey(poisoned)).toBe(true);
    expect(holdsProtoKey({ path: 'a.md', opts: [{ mode: 'w' }] })).toBe(false);
    expect(() => decode(z.unknown(), encode(poisoned), 'value')).toThrow(/__proto__/);
  });

  it('is refused at the edge, with the reason', () => {
    expect(JsonData.safeParse(poisoned).success).toBe(false);
    const task = Task.safeParse({ input: 'grade this', rubric: poisoned });
    expect(task.error?.issues[0]).toMatchObject({ path: ['rubric'], message: 'may not hold the key "__proto__"' });
  });
});
