import { z } from 'zod';
import type { DreamJob } from '@signalbox/events';

/** What a store's consolidation timer carries: the store, and the time it is set for. */
export const DreamTimer = z.strictObject({ store: z.string().min(1).max(63), at: z.number().int().nonnegative() });
export type DreamTimer = z.infer<typeof DreamTimer>;

/**
 * The job a firing asks for: its id is the store and the time the timer was set for, so a firing
 * handled twice (a redelivery, two replicas) publishes one job (the id is its message id).
 */
export function scheduledJob(timer: DreamTimer): DreamJob {
  return { jobId: `schedule:${timer.store}:${timer.at}`, store: timer.store, by: 'schedule' };
}

/**
 * When the timer fires next: the first time `everyMs` steps after `at` that is still ahead of `now`,
 * so the schedule keeps its phase, and a timer that fired late (no consolidator running) does not
 * fire again for every step missed.
 */
export function nextFiring(at: number, everyMs: number, now: number): number {
  const steps = Math.max(1, Math.floor((now - at) / everyMs) + 1);
  return at + steps * everyMs;
}

/** Whether a store's timer must be armed: it has none, or one set further ahead than its schedule now allows (its `everyMs` was shortened). */
export function needsArming(armed: DreamTimer | undefined, everyMs: number, now: number): boolean {
  return armed === undefined || armed.at > now + everyMs;
}
