import { spawn, type ChildProcess } from 'node:child_process';
import { stopProcess } from './process-stop.ts';
import { readyTimeoutMs, type LaunchServer, type RunningServer } from './running-server.ts';

/** The process harness: nats-server as a child process of this one. */
export function processLauncher(binary: string): LaunchServer {
  return async (args) => runningProcess(await spawnUntilReady(binary, args));
}

function runningProcess(child: ChildProcess): RunningServer {
  let frozen = false;
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const signalAndWait = async (signal: NodeJS.Signals) => {
    if (exited()) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    // A stopped process acts on SIGTERM only once it runs again.
    if (frozen) child.kill('SIGCONT');
    frozen = false;
    await gone;
  };
  return {
    get pid() {
      return exited() ? undefined : child.pid;
    },
    stop: () => signalAndWait('SIGTERM'),
    kill: () => signalAndWait('SIGKILL'),
    freeze: async () => {
      if (child.pid === undefined || exited()) return;
      frozen = true;
      await stopProcess(child.pid);
    },
    thaw: async () => {
      child.kill('SIGCONT');
      frozen = false;
    },
  };
}

function spawnUntilReady(binary: string, args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const timer = setTimeout(() => fail(new Error(`nats-server not ready after ${readyTimeoutMs} ms:\n${log}`)), readyTimeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('error', (error) =>
      fail(new Error(`cannot start ${binary}: ${error.message}. Install nats-server (apt-get install nats-server) or set NATS_SERVER_BIN.`)),
    );
    child.once('exit', (code) => fail(new Error(`nats-server exited with ${code} before it was ready:\n${log}`)));
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('Server is ready')) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        // Keep draining stderr so the server never blocks on a full pipe.
        child.stderr?.removeAllListeners('data');
        child.stderr?.resume();
        resolve(child);
      }
    });
  });
}
