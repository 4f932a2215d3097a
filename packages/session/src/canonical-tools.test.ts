import { canonicalJson, type ToolDefinition } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { canonicalToolsOf } from './canonical-tools.ts';

const tool = (name: string): ToolDefinition => ({ name, description: `Does ${name}`, inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } });

describe('canonicalToolsOf', () => {
  it('writes the tools as canonicalJson does, once for the array a state holds', () => {
    const tools = [tool('workspace.write'), tool('workspace.read')];
    const part = canonicalToolsOf(tools);
    expect(part.json).toBe(canonicalJson(tools));
    expect(canonicalToolsOf(tools)).toBe(part);
  });

  it('computes another array afresh, equal or not', () => {
    const tools = [tool('workspace.read')];
    expect(canonicalToolsOf([...tools])).not.toBe(canonicalToolsOf(tools));
    expect(canonicalToolsOf([tool('http.fetch')]).json).toBe(canonicalJson([tool('http.fetch')]));
  });
});
