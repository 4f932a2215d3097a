import { describe, expect, it } from 'vitest';
import { parseAgentFile } from './agent-files.ts';
import { positionOfJsonError } from './definition-files.ts';

const agent = 'name: x\nmodel: scripted\nscript: [{ final: done }]\n';

describe('parseAgentFile', () => {
  it('reads one agent, a list of them, or several YAML documents, with defaults filled in', () => {
    const one = parseAgentFile('x.yaml', agent);
    expect(one).toMatchObject({ ok: true, agents: [{ name: 'x', budget: { maxSteps: 20 }, tools: [] }] });
    const several = parseAgentFile('x.yaml', `${agent}---\n${agent.replace('name: x', 'name: y')}`);
    expect(several.ok && several.agents.map((each) => each.name)).toEqual(['x', 'y']);
    const list = parseAgentFile('x.json', JSON.stringify([{ name: 'a', model: 'openai/gpt-4.1' }, { name: 'b', model: 'openai/gpt-4.1' }]));
    expect(list.ok && list.agents.map((each) => each.name)).toEqual(['a', 'b']);
  });

  it('refuses an unclosed YAML list with the file, line and column, instead of guessing where it ends', () => {
    expect(parseAgentFile('agents/x.yaml', 'name: x\nmodel: openai/gpt-4.1\ntools: [workspace.read, workspace.write\nbudget: { maxSteps: 2 }\n')).toEqual({
      ok: false,
      problems: ['agents/x.yaml:4:1: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    });
  });

  it('reports a truncated JSON file as a syntax error at its end, not as a missing field', () => {
    expect(parseAgentFile('agents/x.json', '{\n  "name": "x",\n  "model": "scr')).toEqual({
      ok: false,
      problems: ['agents/x.json:3:16: Unterminated string'],
    });
    expect(parseAgentFile('agents/x.json', '{"name": "x",')).toEqual({ ok: false, problems: [expect.stringMatching(/^agents\/x\.json:1:14: /)] });
  });

  it('gives one line per schema problem, with the place and path of the field', () => {
    const text = 'name: x\nmodel: openai/gpt-4.1\nbudget: { maxSteps: 0 }\ntools: [workspace.read, 7]\ncolour: blue\n';
    expect(parseAgentFile('agents/x.yaml', text)).toEqual({
      ok: false,
      problems: [
        'agents/x.yaml:4:25: tools[1]: must be a string, not a number (7)',
        'agents/x.yaml:3:21: budget.maxSteps: must be at least 1',
        'agents/x.yaml:5:1: colour: unknown field',
      ],
    });
  });

  it('says which agent of several a problem is in, and that a required field is missing from the map it starts', () => {
    const problems = parseAgentFile('x.yaml', `${agent}---\nname: y\n---\nmodel: scripted\nscript: []\n`);
    expect(problems).toEqual({ ok: false, problems: ['x.yaml:5:1: agent "y": model: is required', 'x.yaml:7:1: agent 3: name: is required'] });
  });

  it("keeps the schema's own advice, and refuses a file with no agent", () => {
    expect(parseAgentFile('x.yaml', 'name: x\nmodel: gpt\n')).toEqual({
      ok: false,
      problems: ['x.yaml:2:8: model: a model is "scripted" or "<provider>/<model>", like "anthropic/claude-sonnet-4-5"'],
    });
    expect(parseAgentFile('x.yaml', '# nothing yet\n')).toEqual({ ok: false, problems: ['x.yaml: holds no agent'] });
  });
});

describe('the place of a schema problem', () => {
  it('is found in a JSON file too, and in a list of definitions by item', () => {
    const json = '[\n  { "name": "a", "model": "scripted", "script": [{ "final": "done" }] },\n  { "name": "b", "model": "openai/gpt-4.1", "budget": { "maxSteps": 0 } }\n]\n';
    expect(parseAgentFile('x.json', json)).toEqual({ ok: false, problems: ['x.json:3:69: agent "b": budget.maxSteps: must be at least 1'] });
    const yaml = '- name: a\n  model: scripted\n  script: [{ final: done }]\n- name: b\n  model: openai/gpt-4.1\n  colour: blue\n';
    expect(parseAgentFile('x.yaml', yaml)).toEqual({ ok: false, problems: ['x.yaml:6:3: agent "b": colour: unknown field'] });
  });
});

describe('positionOfJsonError', () => {
  it('counts lines and columns from the offset, or points past the end when the message names none', () => {
    expect(positionOfJsonError('{\n "a": x}', 'Unexpected token in JSON at position 8')).toEqual({ line: 2, column: 7 });
    expect(positionOfJsonError('{\n "a"', 'Unexpected end of JSON input')).toEqual({ line: 2, column: 5 });
  });
});
