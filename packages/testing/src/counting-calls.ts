/**
 * `target` with the calls of its method `method` counted; everything else passes through, bound to
 * `target`. A test counts how often code reads a store, say, without a mock of the store.
 */
export function countingCalls<T extends object>(target: T, method: keyof T): { proxy: T; calls: () => number } {
  let calls = 0;
  const proxy = new Proxy(target, {
    get: (object, property) => {
      const value: unknown = Reflect.get(object, property);
      if (typeof value !== 'function') return value;
      const bound = (value as (...args: unknown[]) => unknown).bind(object);
      return property === method ? (...args: unknown[]) => ((calls += 1), bound(...args)) : bound;
    },
  });
  return { proxy, calls: () => calls };
}
