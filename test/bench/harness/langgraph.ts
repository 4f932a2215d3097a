import { fork } from 'node:child_process';
import { withTimeout, type Teardown } from './lifecycle.ts';
import { stopChild } from './worker-processes.ts';

/** A LangGraph.js process (langgraph-worker.ts) the benchmark sends rounds to. */
export interface BenchLangGraph {
  pid: number | undefined;
  /** Runs `sessions` threads at once, each of `steps` steps; resolves with the model calls they made. */
  invoke(sessions: number, steps: number): Promise<number>;
}

const worker = new URL('./langgraph-worker.ts', import.meta.url);
const startTimeoutMs = 30_000;
const roundTimeoutMs = 120_000;

export async function startBenchLangGraph(teardown: Teardown): Promise<BenchLangGraph> {
  const child = fork(worker.pathname, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  teardown.add('langgraph worker', () => stopChild(child, 5_000));
  const next = () =>
    new Promise<unknown>((resolve, reject) => {
      const exited = (code: number | null, signal: NodeJS.Signals | null) => reject(new Error(`the LangGraph worker exited with ${signal ?? code}`));
      child.once('exit', exited);
      child.once('message', (message) => {
        child.off('exit', exited);
        resolve(message);
      });
    });
  await withTimeout(next(), startTimeoutMs, 'the LangGraph worker to start');
  const invoke = async (sessions: number, steps: number) => {
    const answered = next();
    child.send({ sessions, steps });
    const answer = (await withTimeout(answered, roundTimeoutMs, `${sessions} LangGraph threads`)) as { modelCalls?: number; error?: string };
    if (answer.error !== undefined || answer.modelCalls === undefined) throw new Error(`LangGraph round failed: ${answer.error ?? 'no answer'}`);
    if (answer.modelCalls !== sessions * (steps + 1)) throw new Error(`LangGraph made ${answer.modelCalls} model calls, not ${sessions * (steps + 1)}`);
    return answer.modelCalls;
  };
  return { pid: child.pid, invoke };
}
