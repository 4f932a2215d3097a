import { assertNever, type GradeCommand, type GradeJob, type GraderResult, type ModelRequest, type ModelResponse, type Usage } from '@signalbox/events';
import { combineGrades, problemGrade, type ModelGrade, type ModelSpend } from './combine.ts';
import { gradeWithFunction, type GraderDefinition, type SubmittedContent, type Submission } from './function-grader.ts';
import { gradeJsonSchema } from './json-schema-grader.ts';
import { gradingRequest, readVerdicts, scoreVerdicts } from './model-grader.ts';
import { gradeRegex } from './regex-grader.ts';

/** The grader model, as the shell resolved it: how to call it, and what a reply's usage costs. */
export interface GraderModel {
  /** The model's name as its provider knows it. */
  name: string;
  complete(request: ModelRequest): Promise<ModelResponse>;
  costOf(usage: Usage): number;
}

/** What grading needs from the process: the function graders it registered, and the grader model (or why there is none). */
export interface GradingPorts {
  functions: ReadonlyMap<string, GraderDefinition>;
  model(): GraderModel | { problem: string };
  functionTimeoutMs: number;
}

/** Attempts at a well-formed verdict from the grader model: the first, and two more. */
export const verdictAttempts = 3;

/**
 * Grades one job: each grader of the outcome in its order, then their combination. A grade that
 * cannot be made (an unregistered function grader, a schema the grader will not run, a model that
 * cannot be resolved, a verdict still malformed after 3 attempts) is a `problem` grade. A model call
 * that fails (a provider error) throws, and the job is retried.
 */
export async function gradeSubmission(job: GradeJob, files: readonly SubmittedContent[], ports: GradingPorts): Promise<GradeCommand> {
  const submission: Submission = { sessionId: job.sessionId, attempt: job.attempt, output: job.output, files, ...(job.outcome.seesInput && job.input !== undefined ? { input: job.input } : {}) };
  const unregistered = job.outcome.graders.filter((grader) => grader.kind === 'function' && !ports.functions.has(grader.name)).map((grader) => grader.name);
  if (unregistered.length > 0) return problemGrade(job, `no function grader is registered as ${unregistered.map((name) => `"${name}"`).join(', ')} in this grader process (graderService({ graders: [defineGrader(...)] }))`, [], undefined);
  const results: GraderResult[] = [];
  let model: ModelGrade | undefined;
  let spend: ModelSpend | undefined;
  for (const grader of job.outcome.graders) {
    switch (grader.kind) {
      case 'regex': {
        const result = gradeRegex(grader, job.output);
        if ('problem' in result) return problemGrade(job, result.problem, results, spend);
        results.push(result);
        break;
      }
      case 'json_schema': {
        const result = gradeJsonSchema(grader, job.output);
        if ('problem' in result) return problemGrade(job, result.problem, results, spend);
        results.push(result);
        break;
      }
      case 'function':
        results.push(await gradeWithFunction(ports.functions.get(grader.name) as GraderDefinition, submission, ports.functionTimeoutMs));
        break;
      case 'model': {
        const graded = await gradeWithModel(job, files, ports, grader.name);
        spend = addSpend(spend, graded.spend);
        if ('problem' in graded) return problemGrade(job, graded.problem, results, spend);
        model = model ? alsoGraded(model, graded.grade) : graded.grade;
        results.push(graded.grade.result);
        break;
      }
      default:
        return assertNever(grader);
    }
  }
  return combineGrades(job, results, model, spend);
}

type ModelOutcome = { grade: ModelGrade; spend: ModelSpend } | { problem: string; spend: ModelSpend | undefined };

/** Asks the grader model until its verdict is well formed, at most 3 times, counting every attempt's cost. */
async function gradeWithModel(job: GradeJob, files: readonly SubmittedContent[], ports: GradingPorts, name: string): Promise<ModelOutcome> {
  const resolved = ports.model();
  if ('problem' in resolved) return { problem: resolved.problem, spend: undefined };
  const request = gradingRequest(job, resolved.name, files);
  const spend: ModelSpend = { model: job.model, usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }, costUsd: 0 };
  let malformed = '';
  for (let attempt = 1; attempt <= verdictAttempts; attempt += 1) {
    const response = await resolved.complete(attempt === 1 ? request : withCorrection(request, malformed));
    spend.usage = addUsage(spend.usage, response.usage);
    spend.costUsd += resolved.costOf(response.usage);
    const read = readVerdicts(response, job.rubric);
    if (read.ok) {
      const scored = scoreVerdicts(name, job.rubric, read.verdicts, job.outcome.passThreshold);
      const { requiredFailed, ...result } = scored;
      return { grade: { result, verdicts: read.verdicts, changes: read.changes, requiredFailed }, spend };
    }
    malformed = read.malformed;
  }
  return { problem: `the grader model's verdict stayed malformed after ${verdictAttempts} attempts: ${malformed}`, spend };
}

/**
 * Two model graders in one outcome (say, two models): the grade carries the first one's verdicts (one
 * per criterion), both's changes, and both's failed required criteria.
 */
function alsoGraded(first: ModelGrade, second: ModelGrade): ModelGrade {
  return { ...first, changes: [...first.changes, ...second.changes], requiredFailed: [...new Set([...first.requiredFailed, ...second.requiredFailed])] };
}

function addSpend(total: ModelSpend | undefined, more: ModelSpend | undefined): ModelSpend | undefined {
  if (!total || !more) return total ?? more;
  return { model: total.model, usage: addUsage(total.usage, more.usage), costUsd: total.costUsd + more.costUsd };
}

/** The request again, telling the model why its last reply could not be read (never the reply itself). */
function withCorrection(request: ModelRequest, malformed: string): ModelRequest {
  const [first, ...rest] = request.messages;
  if (!first) return request;
  const note = { type: 'text' as const, text: `Your previous answer could not be read (${malformed}). Answer with the JSON object only, one verdict per criterion id.` };
  return { ...request, messages: [{ ...first, content: [...first.content, note] }, ...rest] };
}

function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + (b.cacheReadTokens ?? 0),
    cacheWriteTokens: a.cacheWriteTokens + (b.cacheWriteTokens ?? 0),
  };
}
