import { afterEach, beforeEach, vi } from 'vitest';

// Tests are quiet: anything a test prints through console fails it, so noise never hides a signal.
const printed: string[] = [];
beforeEach(() => {
  printed.length = 0;
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      printed.push(`console.${method}: ${args.map(String).join(' ')}`);
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
  if (printed.length > 0) throw new Error(`test printed to the console:\n${printed.join('\n')}`);
});
