import { mkdir, writeFile } from 'node:fs/promises';
import { Session, type Profiler } from 'node:inspector/promises';
import { join } from 'node:path';

export interface MeasuredProfile {
  /** Marks the start of a measured stretch. */
  resume(): void;
  /** Marks its end. */
  pause(): void;
  /** Stops profiling and writes the file; returns its path, or undefined when no profile was asked for. */
  save(): Promise<string | undefined>;
}

/**
 * A CPU profile of only the measured stretches of a benchmark (not start-up, baselines or reports),
 * written as `<name>.cpuprofile` into the directory `BENCH_CPU_PROFILE` names (made if missing); without it, nothing is
 * recorded. Open the file in Chrome's DevTools or summarise it with `test/bench/profile-summary.ts`.
 */
export async function measuredProfile(name: string): Promise<MeasuredProfile> {
  const directory = process.env['BENCH_CPU_PROFILE'];
  if (!directory) return { resume: () => {}, pause: () => {}, save: async () => undefined };
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  // V8 stamps samples with the monotonic clock in µs, as process.hrtime does.
  const nowUs = () => Number(process.hrtime.bigint() / 1000n);
  const windows: { from: number; to: number }[] = [];
  return {
    resume: () => void windows.push({ from: nowUs(), to: Number.POSITIVE_INFINITY }),
    pause: () => void (windows.at(-1)!.to = nowUs()),
    save: async () => {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      const file = join(directory, `${name}.cpuprofile`);
      await mkdir(directory, { recursive: true });
      await writeFile(file, JSON.stringify(keepWindows(profile, windows)));
      return file;
    },
  };
}

/** Samples outside the windows are counted as idle, so a viewer's busy time is the measured stretches' alone. */
function keepWindows(profile: Profiler.Profile, windows: readonly { from: number; to: number }[]): Profiler.Profile {
  const idle = profile.nodes.find((node) => node.callFrame.functionName === '(idle)');
  if (!idle || !profile.samples || !profile.timeDeltas) return profile;
  let at = profile.startTime;
  const samples = profile.samples.map((sample, index) => {
    at += profile.timeDeltas![index]!;
    return windows.some(({ from, to }) => at >= from && at <= to) ? sample : idle.id;
  });
  return { ...profile, samples };
}
