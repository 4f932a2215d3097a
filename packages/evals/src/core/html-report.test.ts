import { describe, expect, it } from 'vitest';
import { htmlReport } from './html-report.ts';
import type { EvalRecord } from './record.ts';
import { fork, nudge, run } from './spec.ts';
import { parseSuite } from './suite.ts';
import { escapeHtml, interventionTimingPlot } from './svg-plots.ts';

const hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>';
const suite = parseSuite(`
name: loops
description: 'measures loops ${hostile.replace(/'/g, "''")}'
tasks: [{ name: find, input: find it }]
configurations: [{ name: supervised, agent: looker }, { name: unsupervised, agent: looker, supervision: false }]
counterfactual: {}
`);

const record: EvalRecord = {
  id: '01KEVAL',
  suite,
  status: 'finished',
  startedAt: Date.UTC(2026, 11, 3, 17, 0),
  finishedAt: Date.UTC(2026, 11, 3, 17, 1),
  sessions: [],
  runs: [
    run({ sessionId: 'a', configuration: 'supervised', task: 'find', success: true, costUsd: 0.04, interventions: [nudge(12)] }),
    run({ sessionId: 'b', configuration: 'unsupervised', task: 'find', success: false, status: 'paused', costUsd: 0.08, failures: [`its answer does not include ${hostile}`] }),
  ],
  forks: [fork('a', 12, { success: false, status: 'paused', costUsd: 0.08, costAtForkUsd: 0.03 })],
  trajectories: [
    { task: 'find', successes: 1, failures: 1, pairs: 1, divergences: [{ step: 3, succeeded: `model.responded says ${hostile}`, failed: 'model.responded calls docs.lookup', pairs: 1 }], detectors: [{ detector: 'repetition', onSuccesses: 1, onFailures: 0 }] },
  ],
};

describe('the HTML report', () => {
  const html = htmlReport(record);

  it('shows hostile model output as text: nothing from a run becomes markup', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    // The hostile attributes are there only as text, inside no tag.
    expect(html).not.toMatch(/<[a-z]+[^>]*\s(src|href|on[a-z]+)=/i);
    expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
    expect(escapeHtml(`a&b<c>"d"'e'`)).toBe('a&#38;b&#60;c&#62;&#34;d&#34;&#39;e&#39;');
  });

  it('is one self-contained file: inline CSS and SVG, a policy that allows no script and no fetch', () => {
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">/);
    expect(html).not.toMatch(/<[a-z]+[^>]*\s(src|href)=/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('<style>');
  });

  it('holds the tables: configurations, counterfactuals, detectors by outcome, partings, runs', () => {
    for (const heading of ['Configurations', 'Interventions against forks without them', "Detectors against the runs' outcomes", 'Where successful and failed runs part', 'Runs']) {
      expect(html).toContain(`<h2>${heading}</h2>`);
    }
    // The supervised configuration: 1 of 1, Wilson 21%-100%, and its point on the plot.
    expect(html).toContain('<td>supervised</td><td>1</td><td>100%</td><td>21%-100%</td>');
    expect(html).toContain('<td>repetition/nudge</td><td>1</td><td>1</td><td>1</td><td>0</td>');
    expect(html).toContain('<title>supervised: 100% (21%-100%), $0.0400 and 1.0 turns a run</title>');
  });

  it('plots no interventions as a note, not an empty frame', () => {
    expect(interventionTimingPlot([])).toContain('no interventions');
    expect(htmlReport({ ...record, runs: [], forks: [], trajectories: [] })).toContain('No interventions.');
  });
});
