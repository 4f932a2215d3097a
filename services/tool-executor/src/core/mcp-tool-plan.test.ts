import { describe, expect, it } from 'vitest';
import { maxDescriptionChars, planMcpTools } from './mcp-tool-plan.ts';

const object = { type: 'object', properties: {} };

describe('planMcpTools', () => {
  it('offers a tool as idempotent only when the server says it only reads or is idempotent', () => {
    const { tools } = planMcpTools('s', [
      { name: 'read', inputSchema: object, annotations: { readOnlyHint: true } },
      { name: 'put', inputSchema: object, annotations: { idempotentHint: true } },
      { name: 'post', inputSchema: object, annotations: { readOnlyHint: false } },
      { name: 'plain', inputSchema: object },
    ]);
    expect(tools.map(({ name, mcpName, idempotent }) => [name, mcpName, idempotent])).toEqual([
      ['mcp.s.read', 'read', true],
      ['mcp.s.put', 'put', true],
      ['mcp.s.post', 'post', false],
      ['mcp.s.plain', 'plain', false],
    ]);
  });

  it('cuts a long description, and refuses a schema that is not an object schema', () => {
    const { tools, refused } = planMcpTools('s', [
      { name: 'long', description: 'd'.repeat(maxDescriptionChars + 10), inputSchema: object },
      { name: 'list', inputSchema: [] },
      { name: 'text', inputSchema: { type: 'string' } },
    ]);
    expect(tools[0]?.description).toHaveLength(maxDescriptionChars);
    expect(refused).toEqual([
      { tool: 'list', reason: 'its input schema is not a JSON object' },
      { tool: 'text', reason: 'its input schema is not of type "object"' },
    ]);
  });

  it('refuses a cyclic schema without recursing into it', () => {
    const cyclic: Record<string, unknown> = { type: 'object' };
    cyclic['properties'] = { self: cyclic };
    expect(planMcpTools('s', [{ name: 'loop', inputSchema: cyclic }]).refused).toEqual([{ tool: 'loop', reason: 'its input schema nests more than 32 levels deep' }]);
  });

  it('drops string patterns from what is shown and checked, but keeps a property named "pattern"', () => {
    const schema = { type: 'object', properties: { pattern: { type: 'string', pattern: '^(a+)+$' }, tags: { type: 'array', items: { type: 'string', pattern: 'x' } } } };
    expect(planMcpTools('s', [{ name: 'find', inputSchema: schema }]).tools[0]?.inputSchema).toEqual({
      type: 'object',
      properties: { pattern: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } },
    });
  });
});
