import type { SignalboxClient } from '@signalbox/client';
import { spentBefore, supervisionWithout } from '../core/counterfactual.ts';
import type { ForkRecord } from '../core/record.ts';
import { runResult, type RunResult } from '../core/run-outcome.ts';
import type { EvalTask } from '../core/suite.ts';
import { eventsUntilEnded, inPool, rewindForks } from './session-waits.ts';

export interface ForkDeps {
  client: SignalboxClient;
  newId: () => string;
  waitMs: number;
  concurrency: number;
}

/**
 * For each intervention of each run, `repeats` forks of the run from just before it (hermetic up to
 * there: the recorded replies and tool results answer while the fork asks what the run asked), with
 * the intervening detector off; each followed to its end and judged as the run was.
 */
export async function counterfactualForks(deps: ForkDeps, runs: readonly RunResult[], tasks: ReadonlyMap<string, EvalTask>, repeats: number): Promise<ForkRecord[]> {
  const jobs = runs.flatMap((run) => run.interventions.flatMap((intervention) => Array.from({ length: repeats }, (_, repeat) => ({ run, n: intervention.n, detector: intervention.detector, repeat }))));
  return inPool(jobs, deps.concurrency, async ({ run, n, detector, repeat }) => {
    const { client } = deps;
    const events = await client.events(run.sessionId);
    const created = events[0];
    if (created?.type !== 'session.created') throw new Error(`session ${run.sessionId} does not start with session.created`);
    const forkId = await client.fork(run.sessionId, { at: n - 1, hermetic: true, supervision: supervisionWithout(created.data.agent.supervision, detector), sessionId: deps.newId() });
    const forkEvents = await eventsUntilEnded(client, forkId, deps.waitMs);
    const task = tasks.get(run.task) ?? { checks: [] };
    const result = runResult({ task: run.task, configuration: run.configuration, repeat }, forkId, forkEvents, task, await rewindForks(client, forkEvents, deps.waitMs));
    const spent = spentBefore(events, n);
    return { ...result, forkOf: run.sessionId, interventionN: n, costAtForkUsd: spent.costUsd, stepsAtFork: spent.steps };
  });
}
