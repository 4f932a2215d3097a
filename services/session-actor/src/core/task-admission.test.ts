import { encode, OutcomeSettings } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { admitTask, ungradableTask } from './task-admission.ts';

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('admitTask', () => {
  it('admits a JSON task and names the agent from the subject', () => {
    expect(admitTask({ subject: 'sbx.tasks.helper', data: json({ input: 'hi', sessionId: 'abc' }), contentType: undefined }, 'sbx')).toEqual({
      ok: true,
      agent: 'helper',
      task: { input: 'hi', sessionId: 'abc' },
    });
  });

  it('admits a msgpack task by Content-Type', () => {
    const admitted = admitTask({ subject: 'sbx.tasks.helper', data: encode({ input: 'hi' }), contentType: 'application/msgpack' }, 'sbx');
    expect(admitted).toMatchObject({ ok: true, task: { input: 'hi' } });
  });

  it.each([
    ['malformed JSON', new TextEncoder().encode('{"input": '), /malformed JSON/],
    ['a schema violation', json({ input: '' }), /input: a task needs a non-empty "input"/],
    ['an unknown field', json({ input: 'x', colour: 'red' }), /colour/],
    ['an invalid session id', json({ input: 'x', sessionId: 'a.b' }), /sessionId/],
    ['an oversized payload', json({ input: 'x'.repeat(300_000) }), /bytes; the limit is 262144/],
  ])('refuses %s with a clear reason', (_case, data, reason) => {
    const admitted = admitTask({ subject: 'sbx.tasks.helper', data, contentType: 'application/json' }, 'sbx');
    expect(admitted.ok).toBe(false);
    expect(!admitted.ok && admitted.reason).toMatch(reason);
  });

  it('refuses a subject without a valid agent name', () => {
    expect(admitTask({ subject: 'sbx.tasks.Bad!', data: json({ input: 'x' }), contentType: undefined }, 'sbx')).toMatchObject({ ok: false });
  });
});

describe('ungradableTask', () => {
  const outcome = OutcomeSettings.parse({});

  it('admits a task without an outcome, whatever its rubric', () => {
    expect(ungradableTask({ rubric: { anything: 'goes' } }, {})).toBeUndefined();
  });

  it('admits an outcome with a rubric from the task, or else from the agent', () => {
    expect(ungradableTask({ outcome, rubric: 'Names the failing test.' }, {})).toBeUndefined();
    expect(ungradableTask({}, { outcome, rubric: { criteria: [{ text: 'Names the failing test.' }] } })).toBeUndefined();
    expect(ungradableTask({ rubric: 'Names the failing test.' }, { outcome })).toBeUndefined();
  });

  it('refuses an outcome that neither the task nor its agent gives a rubric', () => {
    expect(ungradableTask({ outcome }, {})).toMatch(/cannot be graded: neither the task nor its agent gives a rubric; an outcome needs a rubric/);
    expect(ungradableTask({}, { outcome })).toMatch(/neither the task nor its agent/);
  });

  it('refuses an outcome whose rubric is not one, saying whose', () => {
    expect(ungradableTask({ outcome, rubric: { steps: [1] } }, {})).toMatch(/the task's rubric is not one/);
    expect(ungradableTask({ outcome }, { rubric: ['a', 'b'] })).toMatch(/its agent's rubric is not one/);
  });
});
