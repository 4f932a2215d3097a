import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentDefinition, ModelRequest, ModelResponse } from '@signalbox/events';
import { configurationReports, counterfactualScores, EvalRecords, parseSuite, runSuite, type EvalRecord } from '@signalbox/evals';
import { createScriptedProvider } from '@signalbox/models';
import { supervisorService } from '@signalbox/supervisor';
import { defineTool, workspaceTools } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runCli } from '../support/cli-process.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * `signalbox eval` end to end, against the session actor, tool executor and supervisor on a
 * nats-server of the test's own, with agents whose failure and recovery are known in advance:
 * the success rates, the record in NATS and the counterfactual numbers come out as designed.
 */

/** Takes a moment, as a real lookup does: the supervisor acts on the log as it is written. */
const lookup = defineTool({ name: 'docs.lookup', description: 'Looks a term up', input: z.object({ term: z.string() }), run: async ({ term }) => (await sleep(60), `no entry for ${term}`) });

/** Model calls cost this much each (the reactive agent's), so recovery and failure have prices. */
const callCost = 0.01;
const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };

/**
 * Looks the same term up until the supervisor's nudge reaches it (a text beside a tool result), then
 * answers from the archive: with the repetition detector's nudge it recovers, without it it loops
 * until its step budget pauses it.
 */
const reactive = {
  name: 'reactive',
  complete: async (request: ModelRequest): Promise<ModelResponse> => {
    const nudged = request.messages.slice(1).some((message) => message.role === 'user' && message.content.some((block) => block.type === 'text'));
    return nudged
      ? { model: 'reactive', content: [{ type: 'text', text: 'Found it in the archive.' }], stopReason: 'end_turn', usage }
      : { model: 'reactive', content: [{ type: 'tool_use', id: `call_${request.messages.length}`, name: 'docs.lookup', input: { term: 'flaky' } }], stopReason: 'tool_use', usage };
  },
};

const scripted = (agent: AgentDefinition) => ({ provider: createScriptedProvider(agent.script ?? []), costOf: () => 0 });

let runtime: TestRuntime;
let folder: string;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'signalbox-eval-'));
  runtime = await startTestRuntime({
    actor: { resolveModel: (agent) => (agent.model === 'scripted' ? scripted(agent) : { provider: reactive, costOf: () => callCost }) },
    tools: [...workspaceTools, lookup],
    services: [supervisorService()],
  });
});
afterAll(async () => {
  await runtime?.dispose();
  rmSync(folder, { recursive: true, force: true });
});

const notesSuite = `
name: notes
agents:
  - name: scribe
    model: scripted
    tools: [workspace.write, workspace.read]
    script:
      - { tool: workspace.write, input: { path: note.md, content: remember the milk } }
      - { final: "Noted: remember the milk" }
tasks:
  - { name: milk, input: Note the milk, checks: [{ outputIncludes: milk }] }
  - { name: cheese, input: Note the cheese, checks: [{ outputMatches: "che+se" }] }
configurations:
  - { name: supervised, agent: scribe }
  - { name: unsupervised, agent: scribe, supervision: false }
repeats: 2
`;

describe('signalbox eval: a suite on the scripted model', () => {
  let record: EvalRecord;

  beforeAll(async () => {
    record = await runSuite({ client: runtime.client }, parseSuite(notesSuite));
  });

  it('runs every task under every configuration, repeats times, and reports success with its Wilson interval', () => {
    expect(record.status).toBe('finished');
    expect(record.runs).toHaveLength(8);
    const [supervised, unsupervised] = configurationReports(['supervised', 'unsupervised'], record.runs);
    for (const report of [supervised, unsupervised]) {
      // The scripted answer notes the milk, never the cheese: half of each configuration's runs succeed.
      expect(report).toMatchObject({ runs: 4, successes: 2, successRate: 0.5, meanSteps: 2, interventions: 0, approvals: 0 });
      expect(report?.interval.low).toBeCloseTo(0.15, 2);
      expect(report?.interval.high).toBeCloseTo(0.85, 2);
    }
    expect(record.runs.filter((run) => run.task === 'cheese').map((run) => run.failures)).toEqual(Array(4).fill(['its answer does not match "che+se"']));
  });

  it('keeps the run in NATS with its suite and every session id, and tags each session so memory skips it', async () => {
    const stored = await (await EvalRecords.open(runtime.nc, runtime.client.names)).get(record.id);
    expect(stored?.suite.configurations.map((configuration) => configuration.name)).toEqual(['supervised', 'unsupervised']);
    expect(stored?.sessions.map((session) => session.sessionId).sort()).toEqual(record.runs.map((run) => run.sessionId).sort());
    const first = record.runs[0];
    const created = (await runtime.client.events(first?.sessionId ?? ''))[0];
    expect(created?.type === 'session.created' && created.data.metadata).toEqual({ eval: record.id, 'eval.task': first?.task, 'eval.configuration': first?.configuration, 'eval.repeat': '0' });
    expect(created?.type === 'session.created' && created.data.agent).toMatchObject({ name: `eval-notes-${first?.configuration}` });
    // Each configuration ran as its own agent: the unsupervised one without supervision.
    expect((await runtime.client.agent('eval-notes-unsupervised'))?.supervision).toBe(false);
  });

  it('prints the table from the command line, the record as JSON with --json, and refuses a bad suite file saying why', async () => {
    const file = join(folder, 'notes.yaml');
    writeFileSync(file, notesSuite.replace('repeats: 2', 'repeats: 1'));
    const run = await runCli(['eval', file, '--nats', runtime.server.url], { timeoutMs: 60_000 });
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^eval [0-9A-Z]{26} \(notes\): 4 runs, finished$/);
    expect(lines[2]).toMatch(/^configuration\s+runs\s+success\s+95% CI/);
    expect(lines.slice(4)).toEqual([expect.stringMatching(/^supervised\s+2\s+50%\s+9%-91%\s+-\s+\$0\.0000\s+2\.0/), expect.stringMatching(/^unsupervised\s+2\s+50%\s+9%-91%/)]);
    expect(run.stderr).toMatch(/FAIL unsupervised · cheese #1 {2}[0-9A-Z]{26} {2}\(its answer does not match "che\+se"\)/);

    const json = await runCli(['eval', file, '--json', '--nats', runtime.server.url], { timeoutMs: 60_000 });
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'finished', runs: expect.any(Array), suite: { name: 'notes' } });

    writeFileSync(file, 'name: notes\ntasks: []\nconfigurations: []\n');
    const bad = await runCli(['eval', file, '--nats', runtime.server.url]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/the suite is not valid/);
  });
});

describe('signalbox eval --trajectories: detectors scored on labelled trajectories, offline', () => {
  it('prints precision and recall for the examples, and names the line of a file that is wrong', async () => {
    const run = await runCli(['eval', '--trajectories', 'deploy/evals/trajectories']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').slice(0, 7)).toEqual([
      '4 labelled trajectories',
      '',
      expect.stringMatching(/^detector\s+findings\s+right\s+spans\s+found\s+precision\s+recall\s+steps to detect$/),
      expect.stringMatching(/^-+/),
      expect.stringMatching(/^error_spiral\s+2\s+2\s+1\s+1\s+1\.00\s+1\.00\s+3\.0$/),
      expect.stringMatching(/^no_progress\s+1\s+1\s+1\s+1\s+1\.00\s+1\.00\s+10\.0$/),
      // The wandering run re-reads files under names the detector normalises to the same call: a loop its label does not name.
      expect.stringMatching(/^repetition\s+2\s+1\s+1\s+1\s+0\.50\s+1\.00\s+2\.0$/),
    ]);
    const file = join(folder, 'broken.jsonl');
    writeFileSync(file, '{"format":"signalbox.labelled-trajectory/1","name":"a","steps":[]}\n{"format":"other"}\n');
    const broken = await runCli(['eval', '--trajectories', file]);
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toContain('broken.jsonl line 2');
  });
});

const interventionsSuite = `
name: loops
agents:
  - name: reactive
    model: local/reactive
    tools: [docs.lookup]
    budget: { maxSteps: 8 }
  - name: stubborn
    model: scripted
    tools: [docs.lookup, workspace.write]
    supervision: { repetition: { action: abort } }
    script:
      - { tool: docs.lookup, input: { term: flaky } }
      - { tool: docs.lookup, input: { term: flaky } }
      - { tool: docs.lookup, input: { term: flaky } }
      - { tool: workspace.write, input: { path: found.md, content: found } }
      - { final: done }
tasks:
  - { name: find, input: Find the flaky test, checks: [{ outputMatches: "archive|done" }] }
configurations:
  - { name: reactive, agent: reactive }
  - { name: stubborn, agent: stubborn }
counterfactual: { repeats: 1 }
`;

describe('signalbox eval: counterfactual scoring of interventions', () => {
  let record: EvalRecord;

  beforeAll(async () => {
    record = await runSuite({ client: runtime.client }, parseSuite(interventionsSuite));
  }, 120_000);

  it('a nudge that made the run recover: the run with it succeeded, the fork without it failed (helped)', async () => {
    const run = record.runs.find((candidate) => candidate.configuration === 'reactive');
    expect(run).toMatchObject({ success: true, interventions: [{ detector: 'repetition', action: 'nudge' }] });
    const [fork] = record.forks.filter((candidate) => candidate.forkOf === run?.sessionId);
    // Without the detector the agent looks the term up until its step budget pauses it.
    expect(fork).toMatchObject({ success: false, status: 'paused', steps: 8 });
    // Judged paused, the fork is then closed, so it waits for nobody and spends nothing more.
    await expect.poll(async () => (await runtime.client.events(fork!.sessionId)).at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'aborted', closedBy: 'eval' } });
    const [score] = counterfactualScores(record.runs.filter((candidate) => candidate.configuration === 'reactive'), record.forks);
    expect(score).toMatchObject({ detector: 'repetition', action: 'nudge', interventions: 1, forks: 1, helped: 1, hurt: 0, bothSucceeded: 0, bothFailed: 0 });
    // Recovery: the one answer after the nudge. Failure avoided: every call the fork made after the fork point, up to its budget.
    const callsBefore = Math.round((fork?.costAtForkUsd ?? 0) / callCost);
    expect(score?.meanRecoveryCostUsd).toBeCloseTo(callCost * (run!.steps - callsBefore), 6);
    expect(score?.meanFailureCostUsd).toBeCloseTo(callCost * (8 - callsBefore), 6);
    expect(score!.meanRecoveryCostUsd).toBeLessThan(score!.meanFailureCostUsd!);
    expect(score?.meanStepsToIntervene).toBeGreaterThanOrEqual(0);
    expect(score?.meanSecondsToIntervene).toBeGreaterThan(0);
  });

  it('an abort of a run that would have finished: the run with it failed, the fork without it succeeded (hurt)', () => {
    const run = record.runs.find((candidate) => candidate.configuration === 'stubborn');
    expect(run).toMatchObject({ success: false, status: 'aborted', interventions: [{ detector: 'repetition', action: 'abort' }] });
    const [score] = counterfactualScores(record.runs.filter((candidate) => candidate.configuration === 'stubborn'), record.forks);
    expect(score).toMatchObject({ detector: 'repetition', action: 'abort', forks: 1, helped: 0, hurt: 1 });
    const [fork] = record.forks.filter((candidate) => candidate.forkOf === run?.sessionId);
    expect(fork).toMatchObject({ success: true, status: 'succeeded', interventions: [] });
  });

  it('finds where the run that succeeded and the one that failed part, and which detectors fired on each side', () => {
    expect(record.trajectories).toEqual([
      {
        task: 'find',
        successes: 1,
        failures: 1,
        pairs: 1,
        // The two agents' first model calls name different models.
        divergences: [{ step: 0, succeeded: 'model.requested', failed: 'model.requested', pairs: 1 }],
        detectors: [{ detector: 'repetition', onSuccesses: 1, onFailures: 1 }],
      },
    ]);
  });

  it('forks each run just before its intervention, hermetic, with that detector off and the rest of its supervision kept', async () => {
    const run = record.runs.find((candidate) => candidate.configuration === 'stubborn');
    const fork = record.forks.find((candidate) => candidate.forkOf === run?.sessionId);
    const created = (await runtime.client.events(fork?.sessionId ?? ''))[0];
    expect(created?.type === 'session.created' && created.data).toMatchObject({
      forkedFrom: { sessionId: run?.sessionId, n: (run?.interventions[0]?.n ?? 0) - 1, hermetic: true },
      agent: { supervision: { repetition: { action: 'abort', enabled: false } } },
    });
  });
});

describe('deploy/evals/loops.yaml, the suite the README runs', () => {
  it('runs on the scripted model, and its numbers come out as its agents are written', async () => {
    const suite = parseSuite(readFileSync('deploy/evals/loops.yaml', 'utf8'));
    const record = await runSuite({ client: runtime.client }, { ...suite, repeats: 1 });
    const reports = Object.fromEntries(configurationReports(suite.configurations.map((configuration) => configuration.name), record.runs).map((report) => [report.configuration, report.successRate]));
    // The persistent reader answers unless the detector stops it; the stuck one never answers.
    expect(reports).toEqual({ 'persistent-abort': 0, 'persistent-nudge': 1, 'persistent-off': 1, 'stuck-abort': 0, 'stuck-off': 0 });
    const scores = Object.fromEntries(counterfactualScores(record.runs, record.forks).map((score) => [`${score.detector}/${score.action}`, score]));
    // The gate pauses both readers at the third read: a success lost for the persistent one, turns saved for the stuck one.
    expect(scores['repetition/gate_pause']).toMatchObject({ interventions: 2, forks: 2, helped: 0, hurt: 1, bothFailed: 1, meanRecoverySteps: 0 });
    expect(scores['repetition/gate_pause']?.meanFailureSteps).toBeGreaterThan(0);
    // Blocking the third read and going on changes nothing for the persistent reader.
    expect(scores['repetition/gate_block']).toMatchObject({ interventions: 1, forks: 1, helped: 0, hurt: 0, bothSucceeded: 1 });
  }, 60_000);
});
