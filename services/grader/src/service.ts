import { ROOT_CONTEXT } from '@opentelemetry/api';
import { WorkspaceFiles } from '@signalbox/store';
import { Rejection, startDurableWorker, tracedModel, type Service } from '@signalbox/runtime';
import { graderDurable, type GradeJob, type ModelRequest } from '@signalbox/events';
import { ModelError, providerModelLookup } from '@signalbox/models';
import type { GraderDefinition } from './core/function-grader.ts';
import type { GradingPorts } from './core/grade.ts';
import { answerDeadGradeJob, handleGradeJob, type GradeDeps } from './shell/grade-jobs.ts';
import type { GraderModels } from './shell/grader-models.ts';
import { startRegradeResponder } from './shell/regrade-responder.ts';

export interface GraderOptions {
  /** Function graders (`defineGrader`), named by outcomes' `{ kind: 'function', name }`. */
  graders?: readonly GraderDefinition[];
  /** The models grade jobs name (default: the installation's providers, keyed from this process's environment). */
  models?: GraderModels;
  /** Jobs graded at once by this process (default 4). */
  concurrency?: number;
  /** Deliveries of a job that keeps failing (its model's provider down) before it is dead-lettered and its session told (default 5). */
  maxDeliver?: number;
  /** How long a job may go unacknowledged before another replica gets it (a crashed grader's jobs); default the config's. */
  ackWaitMs?: number;
  /** Regrade requests answered at once by this process (default 4); more are refused with an error. */
  regradeConcurrency?: number;
  /** How long one model call may take (default 120 s), and one function grader (default 30 s). */
  modelDeadlineMs?: number;
  functionTimeoutMs?: number;
}

/**
 * Grades sessions' outcomes: takes grade jobs from `sbx.jobs.grade` (a pool of replicas sharing one
 * durable), runs the outcome's graders on the submitted output and files, and sends the grade to the
 * session's `sbx.inbox.<sessionId>.grader`. Answers `sbx.rpc.grader.regrade` with a grade it sends nowhere.
 * It reads the run's workspace, never the session's log.
 */
export function graderService(options: GraderOptions = {}): Service {
  const functions = new Map<string, GraderDefinition>();
  for (const grader of options.graders ?? []) {
    if (functions.has(grader.name)) throw new Error(`two function graders are named "${grader.name}"`);
    functions.set(grader.name, grader);
  }
  return {
    name: 'grader',
    start: async (context) => {
      const { nc, names, logger, config } = context;
      const models = options.models ?? providerModelLookup(config.models);
      const modelDeadlineMs = options.modelDeadlineMs ?? 120_000;
      const tracer = context.tracing?.tracer;
      const ports = (job: GradeJob, traceContext = ROOT_CONTEXT): GradingPorts => ({
        functions,
        functionTimeoutMs: options.functionTimeoutMs ?? 30_000,
        model: () => {
          try {
            const entry = tracedModel(models(job.model), tracer, traceContext);
            const complete = (request: ModelRequest) => entry.provider.complete(request, { signal: AbortSignal.timeout(modelDeadlineMs) }).catch((error: unknown) => refuseUnretryable(job, error));
            return { name: entry.name, costOf: (usage) => entry.costOf(usage), complete };
          } catch (error) {
            return { problem: `the grader model ${job.model} cannot be used: ${error instanceof Error ? error.message : String(error)}` };
          }
        },
      });
      const deps: GradeDeps = { nc, names, logger, workspace: await WorkspaceFiles.open(nc, names), ports, ...(tracer ? { tracer } : {}) };
      const worker = await startDurableWorker({
        nc,
        names,
        logger,
        stream: names.streams.jobs,
        durable: graderDurable,
        filterSubject: names.subjects.gradeJobs,
        deadLetterSource: 'jobs',
        metrics: context.metrics,
        concurrency: options.concurrency ?? 4,
        maxDeliver: options.maxDeliver ?? 5,
        ackWaitMs: options.ackWaitMs ?? config.ackWaitMs,
        handle: (message) => handleGradeJob(deps, message),
        onDeadLetter: (message, reason) => answerDeadGradeJob(deps, message, reason),
      });
      const regrade = startRegradeResponder(deps, options.regradeConcurrency ?? 4);
      return {
        stop: async () => {
          await regrade.stop();
          await worker.stop();
        },
      };
    },
  };
}

/**
 * A model call that would fail the same way again (a bad key, an unknown model, a request too long)
 * is a Rejection: the job is dead-lettered at once and its session told, instead of retried.
 */
function refuseUnretryable(job: GradeJob, error: unknown): never {
  if (error instanceof ModelError && !error.retryable) throw new Rejection(`the grader model ${job.model} refused the call (${error.code}): ${error.message}`, { cause: error });
  throw error;
}
