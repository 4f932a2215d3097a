import { checkJson, jsonIn, type EventData, type NewEvent, type OutputSchema } from '@signalbox/events';

/** The decider version from which a session's final answer must satisfy its `output` schema (#23). */
export const structuredOutputFrom = 12;

/** Answers a session may give against its schema: the first, and one more after hearing what was wrong with it. */
export const outputAttempts = 2;

/** The schema a new session's final answer must satisfy: the task's, else the agent's; none before decider version 12. */
export function outputSchemaOf(data: Pick<EventData<'session.created'>, 'agent' | 'output' | 'deciderVersion'>): OutputSchema | null {
  if (data.deciderVersion < structuredOutputFrom) return null;
  return data.output ?? data.agent.output ?? null;
}

/** How an answer measures up to the schema: its JSON value, what is wrong with it, or why the schema cannot judge it. */
export type AnswerCheck = { kind: 'valid'; value: unknown } | { kind: 'invalid'; errors: string[] } | { kind: 'unusable'; problem: string };

/** The answer's text as JSON (bare, in a code fence, or its outermost object), validated against `schema`. */
export function checkAnswer(schema: OutputSchema, text: string): AnswerCheck {
  const parsed = jsonIn(text);
  if (!parsed.ok) return { kind: 'invalid', errors: [`the answer is ${parsed.problem}`] };
  const check = checkJson(schema, parsed.value);
  if ('problem' in check) return { kind: 'unusable', problem: check.problem };
  return check.valid ? { kind: 'valid', value: parsed.value } : { kind: 'invalid', errors: check.errors };
}

/** The event that sends an answer back with what was wrong with it: `attempt` is the answer's number. */
export function outputRejected(attempt: number, errors: readonly string[]): NewEvent {
  return { type: 'output.rejected', data: { attempt, errors: errors.slice(0, 10).map((error) => error.slice(0, 2_000)) } };
}

/** What the model reads after a rejected answer: a function of the event alone, so a fold rebuilds it. */
export function rejectedOutputMessage(rejected: EventData<'output.rejected'>): string {
  return [
    `Your final answer does not satisfy the required JSON Schema (answer ${rejected.attempt} of ${outputAttempts}):`,
    ...rejected.errors.map((error) => `- ${error}`),
    'Answer again with only the JSON value, corrected, and nothing else.',
  ].join('\n');
}

/** Why a session ends failed when its last answer still does not satisfy the schema. */
export function unsatisfiedReason(check: Exclude<AnswerCheck, { kind: 'valid' }>, answers: number): string {
  if (check.kind === 'unusable') return `the output schema cannot validate an answer: ${check.problem}`;
  return `the answer did not satisfy the output schema in ${answers} attempt${answers === 1 ? '' : 's'}: ${check.errors.join('; ')}`;
}
