import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutcomeSettings, type ModelResponse, type SessionEvent } from '@signalbox/events';
import { graderService, type GraderModels } from '@signalbox/grader';
import type { ModelProvider } from '@signalbox/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.ts';
import { scriptedAgent, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * `signalbox regrade`, end to end: a session graded by the model grader (a scripted model that judges
 * each criterion the rubric names) runs to completion; the CLI, as a process, grades its two attempts
 * again against a changed rubric through the grader pool, prints old and new side by side, and the
 * session's log is the same after.
 */
let runtime: TestRuntime;
let dir: string;
let env: NodeJS.ProcessEnv;

/** The scripted grader model: `cites` passes when the output has "Source:"; `direct` (a new criterion) only when it has not. */
const judge: ModelProvider = {
  name: 'scripted-judge',
  complete: async (request): Promise<ModelResponse> => {
    const text = JSON.stringify(request.messages);
    const schema = request.responseFormat?.schema as { properties: { verdicts: { items: { properties: { criterion: { enum: string[] } } } } } };
    const ids = schema.properties.verdicts.items.properties.criterion.enum;
    const verdicts = ids.map((criterion) => {
      const passed = criterion === 'direct' ? !text.includes('Source:') : text.includes('Source:');
      return { criterion, passed, reason: passed ? `meets ${criterion}` : `misses ${criterion}` };
    });
    const changes = verdicts.filter((verdict) => !verdict.passed).map((verdict) => `Fix ${verdict.criterion}.`);
    const reply = JSON.stringify({ verdicts, changes });
    return { model: 'judge-1', content: [{ type: 'text', text: reply }], stopReason: 'end_turn', usage: { inputTokens: 100, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0 } };
  },
};
const models: GraderModels = () => ({ provider: judge, name: 'judge-1', costOf: (usage) => usage.inputTokens / 1e6 });

const cli = (...args: string[]) => runCli(args, { env });

let before: SessionEvent[];

beforeAll(async () => {
  const outcome = OutcomeSettings.parse({ maxAttempts: 2 });
  const rubric = { criteria: [{ id: 'cites', text: 'Cites a source.', required: true }] };
  const script = [{ final: 'It is X.' }, { final: 'It is X. Source: the manual.' }];
  runtime = await startTestRuntime({
    agents: [scriptedAgent({ name: 'answerer', tools: [], outcome, rubric, script }), scriptedAgent({ name: 'plain', tools: [], script: [{ final: 'done' }] })],
    services: [graderService({ models })],
  });
  dir = await mkdtemp(join(tmpdir(), 'sbx-regrade-'));
  // Every command is a fresh node process: caching compiled modules shortens its start-up.
  env = { ...process.env, NATS_URL: runtime.server.url, LOG_LEVEL: 'silent', NO_COLOR: '1', SIGNALBOX_PREFIX: 'sbx', NODE_COMPILE_CACHE: join(dir, 'compile-cache') };
  await runtime.client.submit('answerer', { input: 'What is it?', sessionId: 'answered' });
  before = await runtime.completedSession('answered', 10_000);
  await runtime.client.submit('plain', { input: 'Anything.', sessionId: 'ungraded' });
  await runtime.completedSession('ungraded', 10_000);
}, 30_000);
afterAll(async () => {
  await runtime?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('signalbox regrade', () => {
  it('grades every attempt again against the new rubric, old and new side by side, and leaves the log as it was', async () => {
    expect(before.filter((event) => event.type === 'outcome.graded').map((event) => event.type === 'outcome.graded' && [event.data.attempt, event.data.passed])).toEqual([[1, false], [2, true]]);
    const file = join(dir, 'rubric.yaml');
    await writeFile(file, 'criteria:\n  - id: cites\n    text: Cites a source.\n  - id: direct\n    text: Answers in one plain sentence.\n    required: true\n');
    const result = await cli('regrade', 'answered', '--rubric', file);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split('\n')).toEqual([
      'session answered',
      '  attempt 1       old        new',
      '  grade           fail 0.00  fail 0.50',
      '    cites         fail       fail',
      '    direct        -          pass',
      '    grader model  fail 0.00  fail 0.50',
      '  changes the new grade asks for:',
      '    - Fix cites.',
      '  attempt 2       old        new',
      '  grade           pass 1.00  fail 0.50',
      '    cites         pass       pass',
      '    direct        -          fail',
      '    grader model  pass 1.00  fail 0.50',
      '  changes the new grade asks for:',
      '    - Fix direct.',
    ]);
    const after = await runtime.client.events('answered');
    expect(after).toEqual(before);

    const last = JSON.parse((await cli('regrade', 'answered', '--rubric', file, '--last', '--json')).stdout) as { sessions: { attempts: { attempt: number; new: { passed: boolean; score: number } }[] }[] };
    expect(last.sessions[0]?.attempts.map((attempt) => [attempt.attempt, attempt.new.passed, attempt.new.score])).toEqual([[2, false, 0.5]]);
    expect(await runtime.client.events('answered')).toEqual(before);
  }, 30_000);

  it('says when a session has nothing to regrade, refuses a bad rubric or session id, and exits 1', async () => {
    const file = join(dir, 'sentence.yaml');
    await writeFile(file, 'Cites a source.\n');
    const none = await cli('regrade', 'ungraded', 'answered', '--rubric', file, '--last');
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('session ungraded\n  session ungraded has no outcome: its answers were never graded');
    expect(none.stdout).toContain('session answered\n  attempt 2');

    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{ "criteria": [{ "txt": "Cites." }] }');
    const refused = await cli('regrade', 'answered', '--rubric', bad);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the rubric is not one:\n.*bad\.json/);

    const diff = await cli('diff', 'answered', 'ungraded');
    expect(diff.stdout).toMatch(/\ngrades +1 fail 0\.00, 2 pass 1\.00 +-\n/);
    expect(diff.stdout).toMatch(/\ngrading cost +\$0\.0002 +-\n/);

    const missing = await cli('regrade', 'answered', '--rubric', join(dir, 'nowhere.yaml'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read the rubric file');

    const wildcard = await cli('regrade', 'sbx.>', '--rubric', file);
    expect(wildcard.code).toBe(1);
    expect(wildcard.stderr).toContain('not a session id');
  }, 30_000);
});
