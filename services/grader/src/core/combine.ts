import { GradeCommand, type CriterionVerdict, type GradeJob, type GraderResult, type Usage } from '@signalbox/events';
import { clip } from './clip.ts';
import { modelLimits, round } from './model-grader.ts';

/** What the model grader came to, when the outcome has one: its result, verdicts and changes. */
export interface ModelGrade {
  result: GraderResult;
  verdicts: CriterionVerdict[];
  changes: string[];
  /** Required criteria that failed: they fail the grade however the graders combine. */
  requiredFailed: string[];
}

/** The model grader's spend on this job, every attempt counted, malformed ones too. */
export interface ModelSpend {
  model: string;
  usage: Usage;
  costUsd: number;
}

/**
 * The grade of a job from each grader's result, in the outcome's order. `all`: passed when every
 * grader passed, the score their weighted mean. `weighted`: the score is the weighted mean, and the
 * grade passes when it reaches `passThreshold` and no required criterion of the model grader failed.
 * The changes the agent reads: the model's, then each failed deterministic grader's reason.
 */
export function combineGrades(job: GradeJob, results: readonly GraderResult[], model: ModelGrade | undefined, spend: ModelSpend | undefined): GradeCommand {
  const weights = new Map(job.outcome.graders.map((grader) => [grader.name, grader.weight]));
  const weightOf = (result: GraderResult) => weights.get(result.name) ?? 1;
  const total = results.reduce((sum, result) => sum + weightOf(result), 0);
  const score = total === 0 ? 0 : Math.min(1, Math.max(0, results.reduce((sum, result) => sum + weightOf(result) * result.score, 0) / total));
  const requiredHeld = (model?.requiredFailed.length ?? 0) === 0;
  const passed = job.outcome.combine === 'all' ? results.length > 0 && results.every((result) => result.passed) : score >= job.outcome.passThreshold && requiredHeld;
  const failedVerdicts = model && model.changes.length === 0 ? model.verdicts.filter((verdict) => !verdict.passed).map((verdict) => `${verdict.criterion}: ${verdict.reason}`) : [];
  const deterministicFails = results.filter((result) => result.kind !== 'model' && !result.passed).map((result) => `${result.name}: ${result.reason}`);
  const changes = boundChanges([...(model?.changes ?? []), ...failedVerdicts, ...deterministicFails]);
  const disagreement = disagreementOf(results);
  return GradeCommand.parse({
    type: 'grade',
    sessionId: job.sessionId,
    attempt: job.attempt,
    passed,
    score: round(score),
    verdicts: model?.verdicts ?? [],
    graders: results.map((result) => ({ ...result, score: round(result.score) })),
    changes,
    ...(disagreement ? { disagreement } : {}),
    ...spendOf(spend),
  });
}

/** The grade of a job that could not be graded: it fails with `problem`, and the session pauses with it. */
export function problemGrade(job: GradeJob, problem: string, results: readonly GraderResult[], spend: ModelSpend | undefined): GradeCommand {
  return GradeCommand.parse({
    type: 'grade',
    sessionId: job.sessionId,
    attempt: job.attempt,
    passed: false,
    score: 0,
    verdicts: [],
    graders: results.slice(0, 10),
    changes: [],
    problem: clip(problem, 2_000),
    ...spendOf(spend),
  });
}

function spendOf(spend: ModelSpend | undefined) {
  if (!spend) return { costUsd: 0 };
  const cap = (tokens: number) => Math.min(tokens, 100_000_000);
  const { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens } = spend.usage;
  const usage = { inputTokens: cap(inputTokens), outputTokens: cap(outputTokens), cacheReadTokens: cap(cacheReadTokens), cacheWriteTokens: cap(cacheWriteTokens) };
  return { model: spend.model, usage, costUsd: Math.min(1_000, Math.max(0, spend.costUsd)) };
}

/** Changes within the command's limits: at most 20, each at most 2,000 characters, cut and never refused. */
export function boundChanges(changes: readonly string[]): string[] {
  return changes.slice(0, modelLimits.changes).map((change) => clip(change, modelLimits.change));
}

/** Which graders passed and which failed, when they do not agree. */
function disagreementOf(results: readonly GraderResult[]): string | undefined {
  const passed = results.filter((result) => result.passed).map((result) => result.name);
  const failed = results.filter((result) => !result.passed).map((result) => result.name);
  if (passed.length === 0 || failed.length === 0) return undefined;
  return clip(`the graders disagree: ${passed.join(', ')} passed; ${failed.join(', ')} failed`, 2_000);
}
