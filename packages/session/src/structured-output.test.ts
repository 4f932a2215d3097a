import { OutcomeSettings, OutputSchema, type NewEvent, type SessionEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { checkHistory } from './check-history.ts';
import { decide, type SessionCommand } from './decide.ts';
import { agent, given, recorded, stored, tools } from './spec.ts';
import { fold } from './state.ts';
import { checkAnswer } from './structured-output.ts';

const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
const ticket = OutputSchema.parse({
  type: 'object',
  required: ['title', 'priority'],
  additionalProperties: false,
  properties: { title: { type: 'string', minLength: 1 }, priority: { enum: ['low', 'high'] } },
});
const structured = { ...agent, budget: { maxSteps: 5 }, output: ticket };
const start: SessionCommand = { type: 'StartSession', sessionId: 's1', correlationId: 's1', agent: structured, tools, input: 'File the outage.', budget: structured.budget };
const answer = (step: number, text: string, stopReason: 'end_turn' | 'max_tokens' = 'end_turn'): SessionCommand => ({
  type: 'RecordModelReply',
  callId: `m${step}`,
  response: { model: 'scripted', content: [{ type: 'text', text }], stopReason, usage },
  costUsd: 0.01,
  latencyMs: 1,
});
const asNew = (events: SessionEvent[]): NewEvent[] => events.map(({ type, data }) => ({ type, data }) as NewEvent);
const good = '{"title": "Billing is down", "priority": "high"}';

describe('structured output (decider version 12)', () => {
  it('asks the provider for the schema in every model request', () => {
    const decision = decide(start, fold([]));
    expect(decision.effects[0]).toMatchObject({ type: 'CallModel', request: { responseFormat: { name: 'output', schema: ticket } } });
  });

  it("completes with the answer's JSON value when it satisfies the schema, from a code fence too", () => {
    given(asNew(recorded(start)))
      .when(answer(1, good))
      .then([{ type: 'model.responded' }, { type: 'session.completed', data: { status: 'succeeded', output: good, structuredOutput: { title: 'Billing is down', priority: 'high' } } }]);
    given(asNew(recorded(start)))
      .when(answer(1, `\`\`\`json\n${good}\n\`\`\``))
      .then([{ type: 'model.responded' }, { type: 'session.completed', data: { status: 'succeeded', structuredOutput: { priority: 'high' } } }]);
  });

  it('sends an answer that does not satisfy it back once, with what is wrong, and asks the model again', () => {
    const { decision } = given(asNew(recorded(start))).when(answer(1, '{"title": "", "priority": "urgent", "extra": 1}'));
    expect(decision.events.map((event) => event.type)).toEqual(['model.responded', 'output.rejected', 'model.requested']);
    expect(decision.effects).toMatchObject([{ type: 'CallModel', callId: 'm2' }]);
    const rejected = decision.events[1] as Extract<NewEvent, { type: 'output.rejected' }>;
    expect(rejected.data.errors.join('\n')).toMatch(/title/);
    expect(rejected.data.errors.join('\n')).toMatch(/priority/);
    const call = decision.effects[0] as Extract<(typeof decision.effects)[number], { type: 'CallModel' }>;
    const last = call.request.messages.at(-1);
    expect(last).toMatchObject({ role: 'user', content: [{ type: 'text', text: expect.stringContaining('does not satisfy the required JSON Schema (answer 1 of 2)') }] });
  });

  it('fails the session when the second answer does not satisfy it either, saying why, and keeps the text', () => {
    const history = asNew(recorded(start, answer(1, 'Sure! The ticket is filed.')));
    expect(history.map((event) => event.type)).toEqual(['session.created', 'model.requested', 'model.responded', 'output.rejected', 'model.requested']);
    expect(history[3]).toMatchObject({ data: { errors: [expect.stringMatching(/^the answer is not JSON/)] } });
    given(history)
      .when(answer(2, '{"title": "Billing is down"}'))
      .then([
        { type: 'model.responded' },
        { type: 'session.completed', data: { status: 'failed', output: '{"title": "Billing is down"}', reason: expect.stringMatching(/^the answer did not satisfy the output schema in 2 attempts: .*priority/) } },
      ]);
  });

  it('succeeds on the second answer when it is corrected', () => {
    given(asNew(recorded(start, answer(1, '{}'))))
      .when(answer(2, good))
      .then([{ type: 'model.responded' }, { type: 'session.completed', data: { status: 'succeeded', structuredOutput: { title: 'Billing is down' } } }]);
  });

  it("fails at once, without a second try, when the schema cannot validate (a $ref that loops), and a cut-off reply as before", () => {
    const looping = { ...start, output: { type: 'object', properties: { a: { $ref: '#/$defs/x' } }, $defs: { x: { $ref: '#/$defs/x' } } } } as SessionCommand;
    given(asNew(recorded(looping)))
      .when(answer(1, '{"a": 1}'))
      .then([{ type: 'model.responded' }, { type: 'session.completed', data: { status: 'failed', reason: expect.stringMatching(/^the output schema cannot validate an answer/) } }]);
    given(asNew(recorded(start)))
      .when(answer(1, '{"title": "Bill', 'max_tokens'))
      .then([{ type: 'model.responded' }, { type: 'session.completed', data: { status: 'failed', reason: expect.stringContaining('cut off at maxTokens') } }]);
  });

  it("takes the task's schema over the agent's", () => {
    const other = OutputSchema.parse({ type: 'object', required: ['ok'], properties: { ok: { type: 'boolean' } } });
    const byTask = { ...start, output: other } as SessionCommand;
    expect(decide(byTask, fold([])).effects[0]).toMatchObject({ request: { responseFormat: { schema: other } } });
    given(asNew(recorded(byTask))).when(answer(1, '{"ok": true}')).then([{ type: 'model.responded' }, { type: 'session.completed', data: { structuredOutput: { ok: true } } }]);
  });

  it('validates an answer before it is graded, and records the value with the passing grade', () => {
    const graded = { ...start, rubric: 'Names the service.', outcome: OutcomeSettings.parse({ maxAttempts: 1 }) } as SessionCommand;
    given(asNew(recorded(graded))).when(answer(1, 'no json')).then([{ type: 'model.responded' }, { type: 'output.rejected' }, { type: 'model.requested' }]);
    const submitted = asNew(recorded(graded, answer(1, good)));
    expect(submitted.at(-1)).toMatchObject({ type: 'outcome.submitted', data: { output: good } });
    const pass: SessionCommand = {
      type: 'RecordGrade',
      attempt: 1,
      passed: true,
      score: 1,
      verdicts: [{ criterion: 'c1', passed: true, reason: 'Named.' }],
      graders: [],
      changes: [],
      model: 'scripted',
      costUsd: 0,
    };
    given(submitted).when(pass).then([{ type: 'outcome.graded' }, { type: 'session.completed', data: { status: 'succeeded', structuredOutput: { title: 'Billing is down' } } }]);
  });

  it('decides a session created under version 11 as before: no response format, any text completes it', () => {
    const created: NewEvent = { type: 'session.created', data: { agent: structured, input: 'x', tools, budget: structured.budget, deciderVersion: 11 } };
    const call = given([created]).when({ type: 'Resume' }).decision.effects[0];
    expect(call).toMatchObject({ type: 'CallModel' });
    expect(call).not.toHaveProperty('request.responseFormat');
    const asked = asNew(stored([created, ...decide({ type: 'Resume' }, fold(stored([created]))).events]));
    given(asked).when(answer(1, 'not json')).then([{ type: 'model.responded' }, { type: 'session.completed', data: { status: 'succeeded', output: 'not json' } }]);
  });

  it('replays its history: checkHistory decides the same events again', () => {
    const log = recorded(start, answer(1, '{}'), answer(2, good));
    expect(log.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded' } });
    expect(checkHistory(log)).toMatchObject({ ok: true, decisions: [{ command: 'StartSession' }, { command: 'RecordModelReply', events: 3 }, { command: 'RecordModelReply', events: 2 }] });
  });
});

describe('checkAnswer', () => {
  it('refuses hostile answers without throwing: deep nesting, huge text', () => {
    const deep = `${'{"title":'.repeat(50_000)}1${'}'.repeat(50_000)}`;
    expect(checkAnswer(ticket, deep)).toMatchObject({ kind: 'invalid', errors: [expect.stringMatching(/nests deeper|not JSON/)] });
    expect(checkAnswer(ticket, 'x'.repeat(2_000_000))).toMatchObject({ kind: 'invalid', errors: [expect.stringMatching(/^the answer is not JSON/)] });
  });
});

describe('OutputSchema', () => {
  it('refuses schemas that are not an object at the root, too deep, too big, or run regular expressions', () => {
    expect(OutputSchema.safeParse({ type: 'string' }).error?.issues[0]?.message).toMatch(/root must be an object schema/);
    let deep: Record<string, unknown> = { type: 'object' };
    for (let i = 0; i < 40; i++) deep = { type: 'object', properties: { a: deep } };
    expect(OutputSchema.safeParse(deep).error?.issues[0]?.message).toMatch(/at most 32 levels/);
    const big = { type: 'object', properties: Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`field_${i}`, { type: 'string', description: 'x'.repeat(10) }])) };
    expect(OutputSchema.safeParse(big).error?.issues[0]?.message).toMatch(/at most 65536 bytes/);
    expect(OutputSchema.safeParse({ type: 'object', properties: { id: { type: 'string', pattern: '(a+)+$' } } }).error?.issues[0]?.message).toMatch(/may not use "pattern"/);
    expect(OutputSchema.safeParse(JSON.parse('{"type": "object", "properties": {"__proto__": {"type": "string"}}}')).error?.issues[0]?.message).toMatch(/__proto__/);
    expect(OutputSchema.safeParse(ticket).success).toBe(true);
  });
});
