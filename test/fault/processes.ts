import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const workerScript = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

/** A worker process the test can stop, kill -9, and replace. */
export interface WorkerProcess {
  readonly services: string[];
  readonly child: ChildProcess;
  kill(): Promise<void>;
  /** SIGTERM, as a deploy stops a process: resolves with its exit code once it has drained and exited. */
  stop(): Promise<number | null>;
}

/** Starts `script` (worker-process.ts unless said) with `services` as its arguments; resolves once it prints that it is ready. */
export function startWorker(services: string[], env: Record<string, string>, script = workerScript): Promise<WorkerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...services], {
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let errors = '';
    child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const timer = setTimeout(() => reject(new Error(`worker ${services.join('+')} not ready in 15 s: ${errors}`)), 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${services.join('+')} exited with ${code} before ready: ${errors}`));
    });
    child.stdout?.once('data', () => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        services,
        child,
        kill: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGKILL');
          }),
        stop: () =>
          new Promise<number | null>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode);
            child.once('exit', (code) => done(code));
            child.kill('SIGTERM');
          }),
      });
    });
  });
}
