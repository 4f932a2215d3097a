import { readdirSync, readFileSync } from 'node:fs';
import { SessionEvent } from '@signalbox/events';
import { superviseLog } from '@signalbox/supervision';
import { describe, expect, it } from 'vitest';
import { script, stored } from '../../packages/supervision/src/spec.ts';

const directory = new URL('../fixtures/histories/', import.meta.url);
const histories = readdirSync(directory).filter((file) => file.endsWith('.json'));

/** The findings a history recorded the supervisor acting on (an intervention, or a call its gate stopped), by detector and first event of evidence. */
function recordedFindings(events: readonly SessionEvent[]): string[] {
  return events.flatMap((event) => {
    const acted = event.type === 'supervisor.intervened' || (event.type === 'supervisor.gated' && event.data.verdict !== 'proceed');
    const evidence = acted && 'evidence' in event.data ? event.data.evidence : undefined;
    return evidence && 'detector' in event.data ? [`${event.data.detector}/${evidence[0]}`] : [];
  });
}

describe('healthy runs pass through the supervisor without a finding', () => {
  // A healthy history gets no finding; a supervised one (gated-v7: a loop its gate stopped) only
  // the findings the supervisor acted on as it ran, which the history recorded.
  it.each(histories)('recorded history %s', (file) => {
    const events = (JSON.parse(readFileSync(new URL(file, directory), 'utf8')) as unknown[]).map((event) => SessionEvent.parse(event) as SessionEvent);
    const found = superviseLog(events).findings.map((finding) => `${finding.detector}/${finding.evidence[0]}`);
    const acted = recordedFindings(events);
    expect(found.filter((identity) => !acted.includes(identity))).toEqual([]);
    if (acted.length === 0) expect(found).toEqual([]);
  });

  it('an edit-and-test cycle that converges: the same test run after each edit, failing differently', () => {
    const run = script();
    for (let round = 1; round <= 6; round += 1) {
      run.call({ tool: 'workspace.read', input: { path: 'src/calc.py' }, output: `def add(a, b):\n    return a - b  # v${round}` });
      run.call({ tool: 'workspace.write', input: { path: 'src/calc.py', content: `v${round}` }, output: 'wrote', revision: round });
      run.call({ tool: 'shell.run', input: { command: 'pytest -q' }, ...(round < 6 ? { error: `${7 - round} failed, ${round} passed` } : { output: '6 passed' }) });
    }
    expect(superviseLog(stored(run.final().events)).findings).toEqual([]);
  });

  it('a long exploration: forty different reads, each learning something', () => {
    const run = script({ budget: { maxSteps: 50, maxCostUsd: 5 } });
    for (let file = 0; file < 40; file += 1) run.call({ tool: 'workspace.read', input: { path: `src/module${file}.py` }, output: `# module ${file}\n` }, { text: 'Reading the next module to see how it is wired.', costUsd: 0.01 });
    expect(superviseLog(stored(run.final().events)).findings).toEqual([]);
  });

  it('parallel calls, a flaky tool retried twice, and a model call retried after an overload', () => {
    const run = script()
      .step([
        { tool: 'http.fetch', input: { url: 'https://example.com/a' }, output: 'A' },
        { tool: 'http.fetch', input: { url: 'https://example.com/b' }, output: 'B' },
      ])
      .call({ tool: 'http.fetch', input: { url: 'https://example.com/c' }, error: 'timeout after 10 s' })
      .modelFailure(2)
      .call({ tool: 'http.fetch', input: { url: 'https://example.com/c' }, output: 'C' })
      .call({ tool: 'workspace.write', input: { path: 'report.md', content: 'A B C' }, output: 'wrote', revision: 1 });
    expect(superviseLog(stored(run.final().events)).findings).toEqual([]);
  });

  it('a run polling a job until it is done: the same call, different answers', () => {
    const run = script();
    for (let poll = 0; poll < 8; poll += 1) run.call({ tool: 'jobs.status', input: { id: 'j1' }, output: poll < 7 ? `running: ${poll * 12}%` : 'done' });
    expect(superviseLog(stored(run.final().events)).findings).toEqual([]);
  });
});
