import type { Finding } from './doctor-checks.ts';

/**
 * Where the processes this environment starts run their tool calls. SIGNALBOX_EXECUTOR_IN_PROCESS acts only
 * in a process that runs both a session actor and a tool executor (an executor alone says so when it starts);
 * a value that is not a boolean is the config's error.
 */
export function inProcessFindings(inProcess: boolean): Finding[] {
  if (!inProcess) return [{ level: 'ok', message: 'tool calls go over the jobs stream (SIGNALBOX_EXECUTOR_IN_PROCESS=true runs idempotent ones in the session actor\'s process, where an executor shares it)' }];
  return [
    {
      level: 'ok',
      message: 'SIGNALBOX_EXECUTOR_IN_PROCESS: a process running both a session actor and a tool executor (`signalbox up`, `signalbox run session-actor tool-executor`) runs the first dispatch of each idempotent call itself; a process running only one of them changes nothing',
    },
  ];
}
