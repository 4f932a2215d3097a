import { z } from 'zod';

/**
 * True when an object anywhere in `value` has its own `__proto__` key. JSON.parse makes such keys
 * (a model's tool input, a task's rubric), msgpack encodes them, and the msgpack decoder refuses
 * them, so one such key in an event would leave its session's log unreadable.
 */
export function holdsProtoKey(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(holdsProtoKey);
  return Object.hasOwn(value, '__proto__') || Object.values(value).some(holdsProtoKey);
}

/** Free-form data from outside (tool inputs, rubrics): anything the codec can read back. */
export const JsonData = z.unknown().refine((value) => !holdsProtoKey(value), { message: 'may not hold the key "__proto__"' });
