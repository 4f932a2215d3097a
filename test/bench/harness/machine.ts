import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** CPU time all cores have spent on anything but idling since boot, ms: sample before and after. */
export function machineBusyMs(): number {
  return cpus().reduce((sum, { times }) => sum + times.user + times.nice + times.sys + times.irq, 0);
}

/** Linux reports a process's CPU time in clock ticks of 10 ms (USER_HZ is 100 on every mainstream build). */
const msPerTick = 10;

/** CPU time (user + system) the process `pid` has spent, ms, or undefined where /proc cannot tell (not Linux, gone). */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the parenthesised command name, which may itself hold spaces: utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ');
    const [utime, stime] = [Number(fields?.[11]), Number(fields?.[12])];
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) * msPerTick : undefined;
  } catch {
    return undefined;
  }
}
