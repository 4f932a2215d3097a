import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

const stopWaitMs = 5_000;

/**
 * Sends SIGSTOP to `pid` and resolves once every thread of it is stopped (state `T` in /proc). The
 * signal is delivered asynchronously: on a loaded machine nats-server's threads can go on answering
 * for a moment after kill() returns, and a test that freezes a server must not see an answer then.
 */
export async function stopProcess(pid: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  const deadline = Date.now() + stopWaitMs;
  while (!(await allThreadsStopped(pid))) {
    if (Date.now() > deadline) throw new Error(`process ${pid} was sent SIGSTOP but did not stop within ${stopWaitMs} ms`);
    await sleep(5);
  }
}

async function allThreadsStopped(pid: number): Promise<boolean> {
  let threads: string[];
  try {
    threads = await readdir(`/proc/${pid}/task`);
  } catch {
    return true; // no /proc (not Linux) or the process is gone: nothing more to wait for
  }
  const states = await Promise.all(threads.map((tid) => threadState(pid, tid)));
  return states.every((state) => state === undefined || state === 'T' || state === 't');
}

/** The state letter in /proc/<pid>/task/<tid>/stat: the field after the parenthesised command name. */
async function threadState(pid: number, tid: string): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined; // the thread ended meanwhile
  }
}
