/**
 * How a benchmark process starts and, above all, stops: cleanups run last-in first-out on success,
 * on error, on the deadline and on SIGINT/SIGTERM, each bounded so a hung close cannot keep it alive.
 */
export class Teardown {
  readonly #steps: { label: string; run: () => Promise<unknown> }[] = [];

  /** Registers a cleanup; the last registered runs first. */
  add(label: string, run: () => Promise<unknown>): void {
    this.#steps.push({ label, run });
  }

  /** Runs every cleanup once, even when some fail or hang; returns what went wrong. */
  async run(stepTimeoutMs = 10_000): Promise<string[]> {
    const problems: string[] = [];
    for (let step = this.#steps.pop(); step; step = this.#steps.pop()) {
      try {
        await withTimeout(step.run(), stepTimeoutMs, `cleanup "${step.label}"`);
      } catch (error) {
        problems.push(error instanceof Error ? error.message : String(error));
      }
    }
    return problems;
  }
}

export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
  readonly code = 'bench_deadline';
}

export function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`${what} took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([work, timedOut]).finally(() => clearTimeout(timer));
}

/**
 * Runs one benchmark: `body` within `deadlineMs`, then every cleanup it registered. A failure sets a
 * non-zero exit code (the benchmark could not measure); a slow machine never does, it only reports.
 */
export async function runBench(name: string, deadlineMs: number, body: (teardown: Teardown) => Promise<void>): Promise<void> {
  const teardown = new Teardown();
  let interrupted: NodeJS.Signals | undefined;
  const stopOnSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = signal;
    console.error(`${name}: ${signal}, cleaning up`);
    void teardown.run().finally(() => process.exit(130));
  };
  process.on('SIGINT', stopOnSignal);
  process.on('SIGTERM', stopOnSignal);
  try {
    await withTimeout(body(teardown), deadlineMs, name);
  } catch (error) {
    // After a signal the body fails because its connections were closed under it: not news.
    if (!interrupted) console.error(`${name} failed:`, error);
    process.exitCode = 1;
  } finally {
    const problems = await teardown.run();
    for (const problem of problems) console.error(`${name}: ${problem}`);
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
    // Anything still holding the event loop open (a stuck socket) must not keep the run from ending.
    setTimeout(() => {
      console.error(`${name}: handles still open after cleanup; exiting`);
      process.exit(process.exitCode ?? 0);
    }, 3_000).unref();
  }
}
