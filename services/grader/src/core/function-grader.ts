import type { GraderResult } from '@signalbox/events';
import { z } from 'zod';
import { clip } from './clip.ts';

/** A file submitted with the output, as the grader read it from the run's workspace. */
export type SubmittedContent =
  | { path: string; status: 'read'; content: string }
  | { path: string; status: 'missing' | 'too_large' | 'binary'; reason: string };

/** What a function grader is given: the output and its files, never the conversation (the task's input only when `outcome.seesInput`). */
export interface Submission {
  sessionId: string;
  attempt: number;
  output: string;
  files: readonly SubmittedContent[];
  input?: string;
}

/** A function grader's verdict: pass or fail, a score from 0 to 1 (1 or 0 by `passed` when absent), and why. */
export interface FunctionVerdict {
  passed: boolean;
  score?: number;
  reason: string;
}

export interface GraderDefinition {
  readonly name: string;
  readonly grade: (submission: Submission) => FunctionVerdict | Promise<FunctionVerdict>;
}

const name = /^[a-z][a-z0-9_-]{0,63}$/;

/** A function grader, registered in the grader process (`graderService({ graders })`) and named by an outcome's `{ kind: 'function', name }`. */
export function defineGrader(graderName: string, grade: GraderDefinition['grade']): GraderDefinition {
  if (!name.test(graderName)) throw new Error(`a grader name is 1 to 64 lower-case letters, digits, "_" and "-", starting with a letter: "${graderName}"`);
  return { name: graderName, grade };
}

const Verdict = z.object({ passed: z.boolean(), score: z.number().min(0).max(1).optional(), reason: z.string() });

/**
 * Runs a function grader. A grader that throws, times out or returns something that is not a verdict
 * fails (its reason says so, and the agent reads it as a change to make): it is the grader's fault,
 * but retrying the same code on the same output would fail the same way.
 */
export async function gradeWithFunction(definition: GraderDefinition, submission: Submission, timeoutMs: number): Promise<GraderResult> {
  const result = (passed: boolean, score: number, reason: string): GraderResult => ({ name: definition.name, kind: 'function', passed, score, reason: clip(reason, 2_000) });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FunctionTimeout(timeoutMs)), timeoutMs);
  });
  let returned: unknown;
  try {
    returned = await Promise.race([Promise.resolve().then(() => definition.grade(submission)), timeout]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return result(false, 0, error instanceof FunctionTimeout ? message : `the function grader threw: ${message}`);
  } finally {
    clearTimeout(timer);
  }
  const verdict = Verdict.safeParse(returned);
  if (!verdict.success) return result(false, 0, `the function grader returned no verdict ({ passed, score?, reason }): ${clip(z.prettifyError(verdict.error), 500)}`);
  return result(verdict.data.passed, verdict.data.score ?? (verdict.data.passed ? 1 : 0), verdict.data.reason);
}

class FunctionTimeout extends Error {
  override readonly name = 'FunctionTimeout';
  constructor(timeoutMs: number) {
    super(`the function grader did not answer within ${timeoutMs} ms`);
  }
}
