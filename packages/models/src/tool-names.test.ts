import { describe, expect, it } from 'vitest';
import { decodeToolName, encodeToolName, toolNameMap } from './tool-names.ts';
import { ModelError } from './provider.ts';

const tool = (name: string) => ({ name, description: name, inputSchema: { type: 'object' } });

describe('tool names on the wire', () => {
  it('turns dots into double underscores and back', () => {
    expect(encodeToolName('workspace.read')).toBe('workspace__read');
    expect(encodeToolName('mcp.github.create_issue')).toBe('mcp__github__create_issue');
    expect(decodeToolName('mcp__github__create_issue')).toBe('mcp.github.create_issue');
    expect(encodeToolName('search')).toBe('search');
  });

  it('decodes through the offered tools first, so names holding "__" round-trip', () => {
    const names = toolNameMap([tool('my__tool'), tool('workspace.read')]);
    expect(names.fromWire(names.toWire('my__tool'))).toBe('my__tool');
    expect(names.fromWire(names.toWire('workspace.read'))).toBe('workspace.read');
    expect(names.fromWire('made__up')).toBe('made.up');
  });

  it('refuses two tools that collide on the wire', () => {
    expect(() => toolNameMap([tool('a.b'), tool('a__b')])).toThrow(/both become "a__b"/);
  });

  it('refuses a name that grows past 64 characters on the wire', () => {
    const long = `${'a'.repeat(30)}.${'b'.repeat(30)}.cc`;
    try {
      toolNameMap([tool(long)]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ModelError);
      expect((error as ModelError).code).toBe('invalid_request');
    }
  });
});
