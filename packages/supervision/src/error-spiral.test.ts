import { describe, expect, it } from 'vitest';
import { errorKind } from './error-spiral.ts';
import { given, script } from './spec.ts';

const failing = (step: number, error = `${['no rule for', 'cannot open', 'missing header', 'bad flag', 'no space in', 'lost'][step % 6]} target`) => ({ tool: 'shell.run', input: { command: `make target${step}` }, error });

describe('error spiral', () => {
  it('finds three failed attempts in a row, with their failures as evidence', () => {
    const run = script().call(failing(1)).call(failing(2)).call(failing(3));
    given(run.events)
      .when({ type: 'model.requested', data: { callId: 'm4', model: 'scripted', digest: 'd4', digestScheme: 'message-chain', attempt: 1 } })
      .then([{ detector: 'error_spiral', action: 'nudge', evidence: [5, 9, 13], reason: 'The last 3 attempts failed one after another.' }]);
  });

  it('counts a turn of parallel calls as one attempt, and a turn with a success as none failed', () => {
    const run = script()
      .step([failing(1), failing(2)])
      .step([failing(3), { tool: 'workspace.read', input: { path: 'a' }, output: 'A' }])
      .step([failing(4), failing(5)])
      .call(failing(6))
      .final();
    given(run.events).then([]);
  });

  it('counts a model call that failed as an attempt, once however often it was retried', () => {
    const run = script().call(failing(1)).modelFailure(2).call(failing(2)).final();
    given(run.events).then([{ detector: 'error_spiral', evidence: [5, 7, 13] }]);
  });

  it('finds the same error a fourth time within 20 steps, fixes tried between', () => {
    const run = script();
    for (let round = 0; round < 4; round += 1) {
      run.call({ tool: 'workspace.write', input: { path: 'a.py', content: `try ${round}` }, output: 'ok', revision: round + 1 });
      run.call({ tool: 'shell.run', input: { command: 'python a.py' }, error: `Traceback (most recent call last):\n  File "a.py", line ${round + 3}\nTypeError: unsupported operand 'int' and 'str'` });
    }
    given(run.final().events).then([{ detector: 'error_spiral', evidence: [9, 17, 25, 33], reason: expect.stringContaining('The same error came back 4 times') as string }]);
  });

  it('leaves a run that recovers alone', () => {
    const run = script().call(failing(1)).call(failing(2)).call({ tool: 'workspace.read', input: { path: 'a' }, output: 'A' }).call(failing(3)).call(failing(4)).final();
    given(run.events).then([]);
  });

  it('names an error by its last line that names one, numbers and quoted text blanked', () => {
    expect(errorKind('Traceback:\n  File "x.py", line 12\nKeyError: \'abc\'\n')).toBe("KeyError: '…'");
    expect(errorKind('exit status 2')).toBe('exit status 2');
    expect(errorKind('request 9f8e7d61 failed at 1700000000123')).toBe('request 9f8e7d61 failed at #');
  });
});
