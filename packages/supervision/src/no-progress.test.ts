import type { SessionEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { noProgress, type NoProgressState } from './no-progress.ts';
import { initialView } from './session-view.ts';
import { given, script, stored } from './spec.ts';
import { digest } from './text.ts';

/** A different command each step whose output the session has seen before. */
const stale = (step: number) => ({ tool: 'shell.run', input: { command: `grep -rn pattern${step} .` }, output: 'no matches' });

describe('no progress', () => {
  it('finds ten steps in a row that brought back only outputs already seen, at the next model request', () => {
    const run = script().call({ tool: 'shell.run', input: { command: 'ls' }, output: 'a.py' });
    for (let step = 0; step < 11; step += 1) run.call(stale(step));
    // Step 1 learns "a.py", step 2 "no matches"; steps 3-12 learn nothing: their model.responded events.
    given(run.final().events).then([{ detector: 'no_progress', action: 'nudge', evidence: [11, 15, 19, 23, 27, 31, 35, 39, 43, 47] }]);
  });

  it('counts whitespace-only differences as the same output', () => {
    const run = script().call({ tool: 'shell.run', input: { command: 'ls' }, output: 'a.py  b.py' });
    for (let step = 0; step < 11; step += 1) run.call({ ...stale(step), output: step % 2 === 0 ? 'a.py b.py\n' : ' a.py\tb.py' });
    given(run.final().events).then([{ detector: 'no_progress' }]);
  });

  it('is reset by a new output or a workspace change', () => {
    const run = script();
    for (let step = 0; step < 30; step += 1) {
      if (step % 9 === 8) run.call({ tool: 'workspace.write', input: { path: 'a', content: `${step}` }, output: 'ok', revision: step });
      else if (step % 9 === 4) run.call({ tool: 'workspace.read', input: { path: 'a' }, output: `new ${step}` });
      else run.call(stale(step));
    }
    given(run.final().events).then([]);
  });

  it('fires again on a stretch that goes on after an intervention', () => {
    const run = script();
    for (let step = 0; step < 12; step += 1) run.call(stale(step));
    run.then({ type: 'supervisor.intervened', data: { detector: 'no_progress', action: 'nudge', reason: 'stuck', evidence: [7] } });
    for (let step = 0; step < 10; step += 1) run.call(stale(step));
    given(run.final().events).then([
      { detector: 'no_progress', occurrence: 1 },
      { detector: 'no_progress', occurrence: 2, evidence: [52, 56, 60, 64, 68, 72, 76, 80, 84, 88] },
    ]);
  });

  it('takes its threshold from the agent', () => {
    const run = script({ supervision: { no_progress: { steps: 3 } } });
    for (let step = 0; step < 4; step += 1) run.call(stale(step));
    given(run.final().events).then([{ detector: 'no_progress', evidence: [7, 11, 15] }]);
  });
});

describe('no progress, as a pure fold', () => {
  it('leaves an earlier state as it was when a later one learns an output, also when the earlier one is evolved again', () => {
    const [, request, reply, call, outputX] = stored(script().call({ tool: 'shell.run', input: {}, output: 'x' }).events);
    const outputY = { ...(outputX as SessionEvent), data: { callId: 't1', tool: 'shell.run', output: 'y', durationMs: 1 } } as SessionEvent;
    const context = { view: initialView([]), observation: { call: undefined, changesState: false }, settings: noProgress.settings };
    const base = [request, reply, call].reduce((state, event) => noProgress.evolve(state, event as SessionEvent, context), noProgress.initial(noProgress.settings));
    const knownIn = (state: NoProgressState) => [...state.seen].filter(([, order]) => order < state.known).map(([key]) => key);
    const withX = noProgress.evolve(base, outputX as SessionEvent, context);
    const withY = noProgress.evolve(base, outputY, context);
    expect(knownIn(base)).toEqual([]);
    expect(knownIn(withX)).toEqual([digest('x')]);
    expect(knownIn(withY)).toEqual([digest('y')]);
  });
});
