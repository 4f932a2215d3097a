import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./logger-stdout.fixture.ts', import.meta.url));

/** Starts the fixture: its stdout so far, the lines it logged, and its exit. */
function started(args: string[]) {
  const child = spawn(process.execPath, [fixture, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const logged = () => output.split('\n').filter((line) => line.includes('"msg":"logged"'));
  return { child, exited, logged, output: () => output };
}

describe("the process's shared stdout logger", () => {
  it('writes every line still buffered when the process exits', async () => {
    const run = started(['3000', 'exit']);
    await run.exited;
    const lines = run.logged();
    expect(lines).toHaveLength(3000);
    // Whole lines, in order: each parses, and the last is the last logged.
    expect(lines.map((line) => (JSON.parse(line) as { line: number }).line)).toEqual(Array.from({ length: 3000 }, (_, index) => index + 1));
  });

  it('writes every line when the process ends from its SIGTERM handler, as a service stops', async () => {
    const run = started(['50', 'signal']);
    await expect.poll(run.output, { timeout: 10_000 }).toContain('waiting');
    run.child.kill('SIGTERM');
    await run.exited;
    expect(run.logged()).toHaveLength(50);
  });

  it('writes a lone line soon, without waiting for more to fill its buffer', async () => {
    const run = started(['1', 'stay']);
    try {
      await expect.poll(() => run.logged().length, { timeout: 5_000 }).toBe(1);
    } finally {
      run.child.kill('SIGKILL');
      await run.exited;
    }
  });
});
