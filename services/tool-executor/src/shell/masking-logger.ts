import type { Logger } from '@signalbox/runtime';

const levels = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);
/** Deeper than this a logged object is left as it is: what a tool logs is small. */
const maxDepth = 8;

/**
 * The logger a call that holds secrets gets: every string it logs (message, fields, errors, child
 * bindings) goes through `mask` first, so a tool that logs its token logs `[secret:NAME]`.
 */
export function maskingLogger(logger: Logger, mask: (text: string) => string): Logger {
  return new Proxy(logger, {
    get(target, property) {
      if (property === 'child') {
        return (bindings: Record<string, unknown>, options?: object) => maskingLogger(target.child(maskedValue(bindings, mask, 0) as Record<string, unknown>, options), mask);
      }
      const value: unknown = Reflect.get(target, property, target);
      if (typeof property !== 'string' || !levels.has(property) || typeof value !== 'function') return value;
      return (...args: unknown[]) => (value as (...logged: unknown[]) => void).apply(target, args.map((arg) => maskedValue(arg, mask, 0)));
    },
  });
}

function maskedValue(value: unknown, mask: (text: string) => string, depth: number): unknown {
  if (typeof value === 'string') return mask(value);
  if (value instanceof Error) {
    const copy = new Error(mask(value.message));
    copy.name = value.name;
    copy.stack = value.stack === undefined ? undefined : mask(value.stack);
    return copy;
  }
  if (value === null || typeof value !== 'object' || depth >= maxDepth) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => maskedValue(item, mask, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskedValue(item, mask, depth + 1)]));
}
