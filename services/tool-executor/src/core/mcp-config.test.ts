import { describe, expect, it } from 'vitest';
import { McpServersFile, resolveValue, secretsOfServer } from './mcp-config.ts';

describe('McpServersFile', () => {
  it('reads stdio and Streamable HTTP servers, with defaults', () => {
    const file = McpServersFile.parse({
      servers: [
        { name: 'github', command: 'github-mcp', env: { TOKEN: { secret: 'GITHUB_TOKEN' }, MODE: 'read' } },
        { name: 'search', url: 'https://mcp.example.com/mcp', headers: { Authorization: { secret: 'SEARCH_KEY', template: 'Bearer {secret}' } }, timeoutMs: 5_000 },
      ],
    });
    expect(file.servers[0]).toEqual({ name: 'github', command: 'github-mcp', args: [], env: { TOKEN: { secret: 'GITHUB_TOKEN' }, MODE: 'read' }, timeoutMs: 60_000 });
    expect(secretsOfServer(file.servers[1] as never)).toEqual(['SEARCH_KEY']);
  });

  it('refuses what it cannot use, saying where', () => {
    const problems = (data: unknown) => McpServersFile.safeParse(data).error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    expect(problems({ servers: [{ name: 'Git Hub', command: 'x' }] })?.join()).toMatch(/an MCP server name is a lower-case word/);
    expect(problems({ servers: [{ name: 'a', url: 'file:///etc/passwd' }] })?.join()).toMatch(/an http:\/\/ or https:\/\/ URL/);
    expect(problems({ servers: [{ name: 'a', command: 'x', env: { T: { secret: 'sbx.>' } } }] })).toBeDefined();
    expect(problems({ servers: [{ name: 'a', url: 'http://h/mcp', headers: { A: { secret: 'K', template: 'Bearer' } } }] })?.join()).toMatch(/holds "\{secret\}"/);
    expect(problems({ servers: [{ name: 'a', command: 'x' }, { name: 'a', url: 'http://h/mcp' }] })?.join()).toMatch(/each server needs a name of its own/);
    expect(problems({ servers: [{ name: 'a', command: 'x', url: 'http://h/mcp' }] })).toBeDefined();
  });
});

describe('resolveValue', () => {
  it('puts the secret in its template', () => {
    const secrets = new Map([['K', 'v4lue']]);
    expect(resolveValue('plain', secrets)).toBe('plain');
    expect(resolveValue({ secret: 'K' }, secrets)).toBe('v4lue');
    expect(resolveValue({ secret: 'K', template: 'Bearer {secret}' }, secrets)).toBe('Bearer v4lue');
  });
});
