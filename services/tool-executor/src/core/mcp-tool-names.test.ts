import { describe, expect, it } from 'vitest';
import { mapToolNames, mcpToolName, toolNameProblem } from './mcp-tool-names.ts';

describe('mcpToolName', () => {
  it('makes the tool one lower-case word under mcp.<server>', () => {
    expect(mcpToolName('github', 'create_issue')).toBe('mcp.github.create_issue');
    expect(mcpToolName('github', 'Create-Issue.v2')).toBe('mcp.github.create_issue_v2');
    expect(mcpToolName('fs', '2fa code')).toBe('mcp.fs.t_2fa_code');
    expect(mcpToolName('fs', 'résumé')).toBe('mcp.fs.r_sum_');
  });
});

describe('toolNameProblem', () => {
  it('accepts a name providers take once its dots become "__"', () => {
    expect(toolNameProblem(`mcp.s.${'a'.repeat(56)}`)).toBeUndefined();
    expect(toolNameProblem(`mcp.s.${'a'.repeat(57)}`)).toBe(`"mcp.s.${'a'.repeat(57)}" would be 65 characters where providers take 64 ("." is sent as "__")`);
    expect(toolNameProblem(`mcp.s.${'a'.repeat(80)}`)).toMatch(/is not a tool name/);
  });
});

describe('mapToolNames', () => {
  it('refuses every tool of a collision, whatever order the server lists them in, and names listed twice', () => {
    const forward = mapToolNames('s', ['Read', 'read', 'write', 'dup', 'dup']);
    const backward = mapToolNames('s', ['dup', 'dup', 'write', 'read', 'Read']);
    const collision = { refused: 'the tools "Read", "read" all map to "mcp.s.read"' };
    expect(Object.fromEntries(forward)).toEqual({ Read: collision, read: collision, write: { name: 'mcp.s.write' }, dup: { refused: 'the server lists "dup" more than once' } });
    expect(backward.get('write')).toEqual({ name: 'mcp.s.write' });
    expect(backward.get('Read')).toEqual({ refused: 'the tools "read", "Read" all map to "mcp.s.read"' });
  });
});
