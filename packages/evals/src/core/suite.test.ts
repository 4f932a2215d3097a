import { AgentDefinition } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { configurationAgent, parseSuite, SuiteError } from './suite.ts';

const minimal = `
name: notes
tasks:
  - name: write
    input: Write a note
    checks: [{ outputIncludes: Noted }]
configurations:
  - { name: supervised, agent: scribe }
  - { name: unsupervised, agent: scribe, supervision: false }
`;

describe('a suite file', () => {
  it('reads tasks, configurations and defaults', () => {
    const suite = parseSuite(minimal);
    expect(suite).toMatchObject({ name: 'notes', repeats: 1, concurrency: 4, feedMemory: false, agents: [] });
    expect(suite.configurations.map((configuration) => configuration.supervision)).toEqual([undefined, false]);
    expect(suite.tasks[0]?.checks).toEqual([{ outputIncludes: 'Noted' }]);
    expect(suite.counterfactual).toBeUndefined();
    expect(parseSuite(`${minimal}\ncounterfactual: {}\n`).counterfactual).toEqual({ repeats: 1 });
  });

  it('refuses what is not YAML, and says where a suite is wrong', () => {
    expect(() => parseSuite('name: [unclosed')).toThrow(SuiteError);
    expect(() => parseSuite(`${minimal}\nrepeats: many\n`)).toThrow(/repeats/);
    expect(() => parseSuite(minimal.replace('name: unsupervised', 'name: supervised'))).toThrow(/two configurations are named "supervised"/);
    expect(() => parseSuite(minimal.replace('name: write', 'name: ../../etc'))).toThrow(/lower-case letters/);
    expect(() => parseSuite(`${minimal}\nextra: 1\n`)).toThrow(/extra/);
    expect(() => parseSuite('[]')).toThrow(SuiteError);
    expect(() => parseSuite(minimal.replace('{ outputIncludes: Noted }', '{ outputMatches: 7 }'))).toThrow(SuiteError);
  });

  it('refuses an alias bomb and survives deep nesting', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, index) => `${String.fromCharCode(98 + index)}: &${String.fromCharCode(98 + index)} [${Array(9).fill(`*${String.fromCharCode(97 + index)}`).join(',')}]`)].join('\n');
    expect(() => parseSuite(bomb)).toThrow(SuiteError);
    expect(() => parseSuite(`${'['.repeat(5_000)}${']'.repeat(5_000)}`)).toThrow(SuiteError);
  });

  it('runs a configuration as its agent with the configuration’s fields in place', () => {
    const suite = parseSuite(minimal);
    const base = AgentDefinition.parse({ name: 'scribe', model: 'scripted', script: [{ final: 'Noted' }], memory: { store: 'notes' }, supervision: { ladder: ['abort'] } });
    const [supervised, unsupervised] = suite.configurations;
    expect(configurationAgent(suite, supervised!, base)).toMatchObject({ name: 'eval-notes-supervised', model: 'scripted', supervision: { ladder: ['abort'] }, memory: { store: 'notes' } });
    expect(configurationAgent(suite, unsupervised!, base).supervision).toBe(false);
    const noMemory = configurationAgent(suite, { ...supervised!, memory: false, policy: 'strict', model: 'anthropic/claude-x' }, base);
    expect(noMemory).toMatchObject({ policy: 'strict', model: 'anthropic/claude-x' });
    expect(noMemory).not.toHaveProperty('memory');
    const pinned = configurationAgent(suite, { ...supervised!, memory: { store: 'notes', load: 4, version: 3 } }, base);
    expect(pinned.memory).toEqual({ store: 'notes', load: 4, version: 3 });
  });
});
