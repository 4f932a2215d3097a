import type { SignalboxClient } from '@signalbox/client';
import type { AgentDefinition } from '@signalbox/events';
import { ulid } from 'ulid';
import { taskTrajectories, type TaskTrajectories } from '../core/divergence.ts';
import { evalTags, planRuns, type PlannedRun } from '../core/plan.ts';
import type { EvalRecord } from '../core/record.ts';
import { runResult, type RunResult } from '../core/run-outcome.ts';
import { configurationAgent, type EvalSuite, type EvalTask } from '../core/suite.ts';
import { counterfactualForks } from './counterfactuals.ts';
import { EvalRecords } from './eval-records.ts';
import { eventsUntilEnded, inPool, rewindForks } from './session-waits.ts';

export interface EvalDeps {
  client: SignalboxClient;
  now?: () => number;
  newId?: () => string;
  /** Told of each run as it ends (the CLI prints a line). */
  onRun?: (run: RunResult) => void;
}

/**
 * Runs every task of the suite under every configuration as ordinary sessions, tagged with the eval's
 * id, then (when the suite asks) forks each run at each intervention with its detector off. The
 * record in the evals bucket names every session from the start and holds the results at the end.
 */
export async function runSuite(deps: EvalDeps, suite: EvalSuite): Promise<EvalRecord> {
  const { client, now = Date.now, newId = ulid } = deps;
  const records = await EvalRecords.open(client.nc, client.names);
  for (const agent of suite.agents) await client.applyAgent(agent);
  const agents = await configurationAgents(client, suite);
  const id = newId();
  const sessions = planRuns(suite, newId);
  let record: EvalRecord = { id, suite, status: 'running', startedAt: now(), sessions, runs: [], forks: [], trajectories: [] };
  await records.put(record);
  try {
    const tasks = new Map(suite.tasks.map((task) => [task.name, task]));
    const runs = await inPool(sessions, suite.concurrency, async (planned) => {
      const run = await runTask(client, { evalId: id, suite, planned, agent: agents.get(planned.configuration) ?? '', task: tasks.get(planned.task) as EvalTask });
      deps.onRun?.(run);
      return run;
    });
    record = { ...record, runs, trajectories: await trajectoriesByTask(client, runs, suite.concurrency) };
    if (suite.counterfactual) record.forks = await counterfactualForks({ client, newId, waitMs: suite.sessionTimeoutMs, concurrency: suite.concurrency }, runs, tasks, suite.counterfactual.repeats);
    record = { ...record, status: 'finished', finishedAt: now() };
  } catch (error) {
    record = { ...record, status: 'failed', finishedAt: now(), error: error instanceof Error ? error.message : String(error) };
    await records.put(record);
    throw error;
  }
  await records.put(record);
  return record;
}

/** Each task's trajectories, its runs' logs read one task at a time: memory holds one task's logs, not the suite's. */
async function trajectoriesByTask(client: SignalboxClient, runs: readonly RunResult[], concurrency: number): Promise<TaskTrajectories[]> {
  const trajectories: TaskTrajectories[] = [];
  for (const task of new Set(runs.map((run) => run.task))) {
    const logs = await inPool(
      runs.filter((run) => run.task === task),
      concurrency,
      async (run) => ({ run, events: await client.events(run.sessionId) }),
    );
    trajectories.push(...taskTrajectories(logs));
  }
  return trajectories;
}

/** Applies each configuration's agent; resolves to their names by configuration. */
async function configurationAgents(client: SignalboxClient, suite: EvalSuite): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const configuration of suite.configurations) {
    const base: AgentDefinition | undefined = suite.agents.find((agent) => agent.name === configuration.agent) ?? (await client.agent(configuration.agent));
    if (!base) throw new Error(`configuration ${configuration.name}: no agent ${configuration.agent}, in the suite or stored`);
    names.set(configuration.name, (await client.applyAgent(configurationAgent(suite, configuration, base))).name);
  }
  return names;
}

interface TaskRun {
  evalId: string;
  suite: EvalSuite;
  planned: PlannedRun;
  agent: string;
  task: EvalTask;
}

async function runTask(client: SignalboxClient, { evalId, suite, planned, agent, task }: TaskRun): Promise<RunResult> {
  const { sessionId, ...key } = planned;
  const metadata = evalTags(evalId, key, suite.feedMemory);
  const verdict = await client.submit(agent, { input: task.input, sessionId, metadata, ...(task.rubric === undefined ? {} : { rubric: task.rubric }), ...(task.budget ? { budget: task.budget } : {}) });
  if (verdict.status === 'rejected') throw new Error(`task ${task.name} under ${planned.configuration} was rejected: ${verdict.error}`);
  const events = await eventsUntilEnded(client, sessionId, suite.sessionTimeoutMs);
  return runResult(key, sessionId, events, task, await rewindForks(client, events, suite.sessionTimeoutMs));
}
