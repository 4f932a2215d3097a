import { GradeJob, OutcomeSettings, type ModelRequest, type ModelResponse } from '@signalbox/events';
import type { z } from 'zod';
import type { GraderModel, GradingPorts } from './grade.ts';
import type { GraderDefinition } from './function-grader.ts';

/** A grade job for `outcome` (the default model grader when none), with two criteria, `cites` required. */
export function jobWith(outcome: z.input<typeof OutcomeSettings> = {}, fields: Partial<GradeJob> = {}): GradeJob {
  return GradeJob.parse({
    sessionId: 's-1',
    correlationId: 's-1',
    attempt: 1,
    output: 'The answer is 42, per the Guide.',
    files: [],
    rubric: { criteria: [{ id: 'cites', text: 'Cites a source.', weight: 1, required: true }, { id: 'short', text: 'Is short.', weight: 3, required: false }] },
    outcome: OutcomeSettings.parse(outcome),
    model: 'scripted/grader',
    ...fields,
  });
}

/** A reply whose text is `text`, with 100 input and 10 output tokens. */
export function saying(text: string): ModelResponse {
  return { model: 'grader', content: [{ type: 'text', text }], stopReason: 'end_turn', usage: { inputTokens: 100, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0 } };
}

/** A grader model that answers each request with the next of `replies`, and keeps the requests. */
export function scriptedModel(replies: (string | ModelResponse)[]): GraderModel & { requests: ModelRequest[] } {
  const requests: ModelRequest[] = [];
  return {
    name: 'grader',
    requests,
    complete: async (request) => {
      requests.push(request);
      const next = replies.shift();
      if (next === undefined) throw new Error('the scripted grader model has no reply left');
      return typeof next === 'string' ? saying(next) : next;
    },
    costOf: (usage) => usage.inputTokens * 0.001 + usage.outputTokens * 0.002,
  };
}

export function portsWith(model: GraderModel, functions: GraderDefinition[] = []): GradingPorts {
  return { functions: new Map(functions.map((grader) => [grader.name, grader])), model: () => model, functionTimeoutMs: 200 };
}

export const bothPass = JSON.stringify({ verdicts: [{ criterion: 'cites', passed: true, reason: 'Names the Guide.' }, { criterion: 'short', passed: true, reason: 'One line.' }], changes: [] });
export const citesFails = JSON.stringify({ verdicts: [{ criterion: 'cites', passed: false, reason: 'No source.' }, { criterion: 'short', passed: true, reason: 'One line.' }], changes: ['Cite a source for 42.'] });
