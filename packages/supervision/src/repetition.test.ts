import { describe, it } from 'vitest';
import { given, script } from './spec.ts';

const grep = { tool: 'shell.run', input: { command: 'grep -n foo src/a.py' }, output: '' };

describe('repetition', () => {
  it('finds the same call made a third time with nothing changed between, at its request, with the three requests as evidence', () => {
    const run = script().repeat(2, grep).call({ ...grep, input: { command: 'grep  -n foo\nsrc/a.py ' } });
    given(run.events).then([{ detector: 'repetition', action: 'nudge', evidence: [4, 8, 12], occurrence: 1 }]);
  });

  it('reports a loop once however long it goes on (no progress is another finding)', () => {
    given(script().repeat(12, grep).events).then([
      { detector: 'repetition', evidence: [4, 8, 12] },
      { detector: 'no_progress', evidence: [7, 11, 15, 19, 23, 27, 31, 35, 39, 43] },
    ]);
  });

  it('reports a cycle through several calls once, not once for each call that comes round a third time', () => {
    const run = script();
    for (let round = 0; round < 4; round += 1) for (const word of ['alpha', 'beta', 'gamma']) run.call({ ...grep, input: { command: `grep -rn ${word} .` } });
    given(run.events).then([
      { detector: 'repetition', evidence: [4, 16, 28], occurrence: 1 },
      { detector: 'no_progress', evidence: [7, 11, 15, 19, 23, 27, 31, 35, 39, 43] },
    ]);
  });

  it('does not count a call repeated after a write changed the workspace (re-running the test after each edit)', () => {
    const run = script();
    for (let edit = 1; edit <= 4; edit += 1) {
      run.call({ tool: 'workspace.write', input: { path: 'a.py', content: `v${edit}` }, output: 'ok', revision: edit });
      run.call({ tool: 'shell.run', input: { command: 'pytest' }, output: `${edit} failed` });
    }
    given(run.final().events).then([]);
  });

  it('treats a configured state-changing tool, and a tool not safe to run twice, as a change', () => {
    const changing = script({ supervision: { stateChangingTools: ['db.*'] }, nonIdempotentTools: ['mail.send'] });
    for (const tool of ['db.migrate', 'mail.send', 'db.migrate']) changing.call({ tool, input: { n: tool }, output: 'done' }).call(grep);
    given(changing.events).then([]);
  });

  it('finds a block of calls repeated three times back to back, from the first block', () => {
    const run = script();
    for (let round = 0; round < 3; round += 1) {
      run.call({ tool: 'workspace.write', input: { path: 'a.py', content: 'same' }, output: 'ok', revision: round + 1 });
      run.call({ tool: 'shell.run', input: { command: 'pytest' }, output: '1 failed' });
    }
    given(run.events).then([{ detector: 'repetition', evidence: [4, 8, 12, 16, 20, 24], reason: 'The agent is in a loop: it made the same 2 calls 3 times back to back, with the same results.' }]);
  });

  it('finds the same reply text a third time; replies with tool calls are judged by their calls', () => {
    const text = 'I cannot find the file you mean; which one is it?';
    const run = script()
      .call({ tool: 'workspace.read', input: { path: 'a' }, output: 'A' }, { text })
      .call({ tool: 'workspace.read', input: { path: 'b' }, output: 'B' }, { text })
      .reply(text)
      .reply(`${text}  `)
      .reply(text);
    given(run.events).then([{ detector: 'repetition', evidence: [11, 13, 15], reason: 'The model gave the same reply 3 times with nothing changed in between.' }]);
  });

  it('finds a loop that goes on after an intervention again, as a recurrence', () => {
    const run = script().repeat(3, grep).then({ type: 'supervisor.intervened', data: { detector: 'repetition', action: 'nudge', reason: 'loop', evidence: [5] } });
    given(run.repeat(3, grep).events).then([
      { detector: 'repetition', evidence: [4, 8, 12], occurrence: 1 },
      { detector: 'repetition', evidence: [17, 21, 25], occurrence: 2 },
    ]);
  });

  it('lets a call be asked again once its result changed (polling a job)', () => {
    const run = script();
    for (let poll = 0; poll < 8; poll += 1) run.call({ tool: 'jobs.status', input: { id: 'j1' }, output: poll < 7 ? `running: ${poll * 12}%` : 'done' });
    given(run.final().events).then([]);
  });

  it('leaves alternatives alone: different inputs, or the same call twice', () => {
    const run = script().call(grep).call({ ...grep, input: { command: 'grep -n bar src/a.py' } }).call(grep).final();
    given(run.events).then([]);
  });

  it('is off when configured so', () => {
    given(script({ supervision: { repetition: { enabled: false } } }).repeat(5, grep).events).then([]);
    given(script({ supervision: false }).repeat(5, grep).events).then([]);
  });

  it('takes thresholds and the action from the agent', () => {
    given(script({ supervision: { repetition: { repeats: 5, action: 'pause' } } }).repeat(5, grep).events).then([{ action: 'pause', evidence: [4, 8, 12, 16, 20] }]);
  });
});
