import { cpus } from 'node:os';

/** CPU time all cores have spent on anything but idling since boot, ms: sample before and after. */
export function machineBusyMs(): number {
  return cpus().reduce((sum, { times }) => sum + times.user + times.nice + times.sys + times.irq, 0);
}
