import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const checkout = fileURLToPath(new URL('../..', import.meta.url));
export const cliMain = 'packages/cli/src/main.ts';

/** How a `signalbox` process ended. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `signalbox <args>` from the checkout to its end, piped (so without colour); a non-zero exit
 * is a result to check, a process killed for taking longer than `timeoutMs` a failure.
 */
export function runCli(args: readonly string[], { env, timeoutMs = 20_000 }: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [cliMain, ...args], { cwd: checkout, env, timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(new Error(`signalbox ${args.join(' ')} did not run to its end: ${error.message}; stderr: ${stderr}`, { cause: error }));
      else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}
