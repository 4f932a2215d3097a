import { describe, expect, it } from 'vitest';
import { findingsIn, outcomeQuality, spanQuality } from './detector-quality.ts';
import { LabelledFormatError, parseLabelledTrajectories, trajectoryLog, type LabelledTrajectory } from './labelled.ts';
import { nudge, run } from './spec.ts';

const grep = { tool: 'bash', input: 'grep -n flaky tests/', output: 'tests/a.py:3: flaky' };
const fixture = (name: string, steps: object[], labels: object[] = []) => ({ format: 'signalbox.labelled-trajectory/1', name, task: 'Fix the flaky test', steps, labels });

/** Hand-written: a loop of greps from step 2 to step 7, after a read and an edit. */
const looping = fixture(
  'grep-loop',
  [
    { tool: 'bash', input: 'cat tests/a.py', output: 'def test_a(): ...' },
    { tool: 'edit', input: { path: 'tests/a.py', text: 'x' }, output: 'edited', changesState: true },
    ...Array.from({ length: 6 }, () => grep),
  ],
  [{ failureMode: 'repetition', firstStep: 2, lastStep: 7 }],
);
/** Hand-written: three failures in a row, labelled a spiral, then a fix. */
const spiralling = fixture(
  'spiral',
  [
    ...[1, 2, 3].map((attempt) => ({ tool: 'bash', input: `pytest -k a --attempt ${attempt}`, output: `Traceback ...\nImportError: no module named flaky${attempt}`, error: true })),
    { tool: 'edit', input: { path: 'setup.py', text: 'y' }, output: 'edited', changesState: true },
  ],
  [{ failureMode: 'error_spiral', firstStep: 0, lastStep: 2 }],
);
/** Hand-written: a healthy run that re-runs the tests after each edit; any finding is a false alarm. */
const healthy = fixture('healthy', [
  { tool: 'bash', input: 'pytest', output: '1 failed' },
  { tool: 'edit', input: { path: 'a.py', text: '1' }, output: 'edited', changesState: true },
  { tool: 'bash', input: 'pytest', output: '1 failed' },
  { tool: 'edit', input: { path: 'a.py', text: '2' }, output: 'edited', changesState: true },
  { tool: 'bash', input: 'pytest', output: '1 passed' },
]);

describe('the labelled trajectory format', () => {
  it('reads one trajectory, an array of them, or JSON Lines', () => {
    expect(parseLabelledTrajectories(JSON.stringify(looping))).toHaveLength(1);
    expect(parseLabelledTrajectories(JSON.stringify([looping, healthy]))).toHaveLength(2);
    const lines = parseLabelledTrajectories([looping, spiralling, healthy].map((item) => JSON.stringify(item)).join('\n'));
    expect(lines.map((trajectory) => trajectory.name)).toEqual(['grep-loop', 'spiral', 'healthy']);
    expect(lines[2]).toMatchObject({ labels: [], steps: [{ error: false, changesState: false }, expect.anything(), expect.anything(), expect.anything(), expect.anything()] });
  });

  it('says which line is wrong and why: not JSON, another format, a label past the last step, wrong types', () => {
    expect(() => parseLabelledTrajectories(`${JSON.stringify(healthy)}\n{oops`, 'runs.jsonl')).toThrow(/runs\.jsonl line 2: not JSON/);
    expect(() => parseLabelledTrajectories(JSON.stringify({ ...healthy, format: 'swe-agent' }))).toThrow(LabelledFormatError);
    expect(() => parseLabelledTrajectories(JSON.stringify({ ...healthy, labels: [{ failureMode: 'repetition', firstStep: 3, lastStep: 9 }] }))).toThrow(/a label reaches past the last step/);
    expect(() => parseLabelledTrajectories(JSON.stringify({ ...healthy, labels: [{ failureMode: 'repetition', firstStep: 3, lastStep: 1 }] }))).toThrow(/lastStep comes before firstStep/);
    expect(() => parseLabelledTrajectories(JSON.stringify({ ...healthy, steps: [{ tool: 7, input: 'x', output: 'y' }] }))).toThrow(LabelledFormatError);
    expect(() => parseLabelledTrajectories(JSON.stringify({ ...healthy, labels: [{ failureMode: '../etc', firstStep: 0, lastStep: 0 }] }))).toThrow(/failure mode/);
  });

  it('becomes a session log the detectors read, each event mapped back to its step', () => {
    const [trajectory] = parseLabelledTrajectories(JSON.stringify(looping)) as [LabelledTrajectory];
    const { events, stepOf } = trajectoryLog(trajectory);
    expect(events.map((event) => event.type).slice(0, 5)).toEqual(['session.created', 'model.requested', 'model.responded', 'tool.requested', 'tool.completed']);
    expect(events[8]).toMatchObject({ type: 'tool.completed', data: { workspaceRevision: 1 } });
    expect(events[11]).toMatchObject({ type: 'tool.requested', data: { tool: 'bash', input: { input: 'grep -n flaky tests/' } } });
    expect(stepOf(12)).toBe(2);
    expect(stepOf(1)).toBeUndefined();
  });
});

describe('detector precision and recall on labelled spans', () => {
  const scored = parseLabelledTrajectories(JSON.stringify([looping, spiralling, healthy])).map((trajectory) => ({ trajectory, findings: findingsIn(trajectory) }));

  it('finds the loop and the spiral where they are labelled, and nothing in the healthy run', () => {
    expect(scored.map(({ findings }) => findings.map((finding) => finding.detector))).toEqual([['repetition'], ['error_spiral'], []]);
    // The third grep completes the loop: found one step after its second repeat, at step 4.
    expect(scored[0]?.findings[0]).toEqual({ detector: 'repetition', firstStep: 2, firedAt: 4 });
  });

  it('scores each detector: precision over its findings, recall over the spans, steps to detect', () => {
    expect(spanQuality(scored)).toEqual([
      // The third failed attempt is known as one when the next turn begins: step 3, three after the spiral's first.
      { detector: 'error_spiral', findings: 1, truePositives: 1, spans: 1, spansFound: 1, precision: 1, recall: 1, meanStepsToDetect: 3 },
      { detector: 'repetition', findings: 1, truePositives: 1, spans: 1, spansFound: 1, precision: 1, recall: 1, meanStepsToDetect: 2 },
    ]);
  });

  it('counts a finding outside its mode’s spans as a false alarm, and a span nothing overlaps as missed', () => {
    const mislabelled = scored.map(({ trajectory, findings }) => ({ trajectory: { ...trajectory, labels: trajectory.labels.map((span) => ({ ...span, failureMode: 'no_progress' })) }, findings }));
    expect(spanQuality(mislabelled)).toEqual([
      { detector: 'error_spiral', findings: 1, truePositives: 0, spans: 0, spansFound: 0, precision: 0, recall: undefined, meanStepsToDetect: undefined },
      { detector: 'no_progress', findings: 0, truePositives: 0, spans: 2, spansFound: 0, precision: undefined, recall: 0, meanStepsToDetect: undefined },
      { detector: 'repetition', findings: 1, truePositives: 0, spans: 0, spansFound: 0, precision: 0, recall: undefined, meanStepsToDetect: undefined },
    ]);
  });
});

describe('detector precision and recall on runs labelled by their outcomes', () => {
  it('counts a detector right when it fired on a failed run, wrong on a run that succeeded', () => {
    const runs = [
      run({ success: false, interventions: [nudge(5), nudge(9)] }),
      run({ success: false, interventions: [] }),
      run({ success: true, interventions: [nudge(5), nudge(7, 'waste')] }),
      run({ success: true }),
    ];
    expect(outcomeQuality(runs)).toEqual([
      { detector: 'repetition', firedOnFailures: 1, firedOnSuccesses: 1, failures: 2, precision: 0.5, recall: 0.5 },
      { detector: 'waste', firedOnFailures: 0, firedOnSuccesses: 1, failures: 2, precision: 0, recall: 0 },
    ]);
    expect(outcomeQuality([run()])).toEqual([]);
  });
});
