import { describe, expect, it } from 'vitest';
import { formatRegrade, maxRubricFileBytes, parseRubricFile, type RegradedSession } from './regrade-commands.ts';

describe('a rubric file', () => {
  it('is a sentence (one required criterion) or criteria, in YAML or JSON', () => {
    expect(parseRubricFile('r.yaml', 'Cites a source.\n')).toEqual({ ok: true, rubric: { criteria: [{ id: 'c1', text: 'Cites a source.', weight: 1, required: true }] } });
    const yaml = parseRubricFile('r.yaml', 'criteria:\n  - id: cites\n    text: Cites a source.\n    required: true\n  - text: Is short.\n    weight: 2\n');
    expect(yaml).toEqual({ ok: true, rubric: { criteria: [{ id: 'cites', text: 'Cites a source.', weight: 1, required: true }, { id: 'c2', text: 'Is short.', weight: 2, required: false }] } });
    expect(parseRubricFile('r.json', '{ "criteria": [{ "text": "Cites a source." }] }')).toMatchObject({ ok: true, rubric: { criteria: [{ id: 'c1' }] } });
  });

  it('is refused, saying where, when it is not a rubric', () => {
    const notOne = parseRubricFile('r.yaml', 'criteria:\n  - txt: Cites.\n');
    expect(notOne.ok).toBe(false);
    expect(JSON.stringify(notOne)).toContain('r.yaml:');
    expect(parseRubricFile('r.yaml', 'criteria: []\n').ok).toBe(false);
    expect(parseRubricFile('r.yaml', 'criteria:\n  - { id: a, text: x }\n  - { id: a, text: y }\n')).toMatchObject({ ok: false, problems: [expect.stringContaining('unique')] });
    expect(parseRubricFile('r.json', '{ "criteria": [').ok).toBe(false);
    expect(parseRubricFile('r.yaml', '- One.\n- Two.\n')).toMatchObject({ ok: false, problems: [expect.stringContaining('holds 2 rubrics')] });
    expect(parseRubricFile('r.yaml', '')).toMatchObject({ ok: false });
  });

  it('is refused when huge or nested deeply, without throwing', () => {
    expect(parseRubricFile('r.yaml', 'x'.repeat(maxRubricFileBytes + 1))).toMatchObject({ ok: false, problems: [expect.stringContaining('larger than')] });
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    expect(parseRubricFile('r.json', deep).ok).toBe(false);
    expect(parseRubricFile('r.yaml', `criteria: ${deep}`).ok).toBe(false);
    expect(parseRubricFile('r.yaml', `criteria:\n  - text: ${'a'.repeat(2_001)}\n`).ok).toBe(false);
  });
});

const verdict = (criterion: string, passed: boolean) => ({ criterion, passed, reason: 'r' });
const grader = (name: string, passed: boolean, score: number) => ({ name, kind: 'model' as const, passed, score, reason: 'r' });

describe('signalbox regrade output', () => {
  it('puts old and new side by side: the grade, each criterion and grader, then the changes asked for', () => {
    const sessions: RegradedSession[] = [
      {
        sessionId: 'graded',
        attempts: [
          {
            attempt: 1,
            old: { passed: false, score: 0.4, verdicts: [verdict('c1', false)], graders: [grader('model', false, 0.4)], changes: ['Cite.'] },
            new: { type: 'grade', sessionId: 'graded', attempt: 1, passed: false, score: 0.5, verdicts: [verdict('c1', true), verdict('short', false)], graders: [grader('model', false, 0.5)], changes: ['Be shorter.'], costUsd: 0 },
          },
          { attempt: 2, old: undefined, new: undefined, error: 'the grader could not regrade: busy' },
        ],
      },
      { sessionId: 'plain', problem: 'session plain has no outcome.submitted: it submitted nothing to grade' },
    ];
    expect(formatRegrade(sessions).split('\n')).toEqual([
      'session graded',
      '  attempt 1       old        new',
      '  grade           fail 0.40  fail 0.50',
      '    c1            fail       pass',
      '    short         -          fail',
      '    grader model  fail 0.40  fail 0.50',
      '  changes the new grade asks for:',
      '    - Be shorter.',
      '  attempt 2  old  new',
      '  grade      -    error',
      '  the grader could not regrade: busy',
      '',
      'session plain',
      '  session plain has no outcome.submitted: it submitted nothing to grade',
    ]);
  });
});
