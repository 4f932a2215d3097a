import { describe, expect, it } from 'vitest';
import { benchmarkList, benchmarkTitle } from './bench-command.ts';

describe('bench --help', () => {
  it('says what a benchmark measures from its opening comment', () => {
    expect(benchmarkTitle('/**\n * Resume time of a cold session (one no actor has cached) after 2,000 steps.\n */\nimport x;')).toBe('Resume time of a cold session');
    expect(benchmarkTitle('/**\n * Per-step overhead of the runtime, as a ratio to raw\n * JetStream latency. More.\n */')).toBe('Per-step overhead of the runtime, as a ratio to raw JetStream latency');
    expect(benchmarkTitle('import x;')).toBe('');
  });

  it('lists the benchmarks of test/bench, not its runner', () => {
    const list = benchmarkList();
    expect(list).toMatch(/^ {2}step-overhead +Per-step overhead of the runtime/m);
    expect(list).toMatch(/^ {2}resume +Resume time of a cold session$/m);
    expect(list).not.toMatch(/^ {2}run /m);
  });
});
