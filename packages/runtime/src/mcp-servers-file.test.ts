import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McpServersFile, readMcpServersFile, secretsOfServer } from './mcp-servers-file.ts';

describe('McpServersFile', () => {
  it('reads stdio and Streamable HTTP servers, with defaults', () => {
    const file = McpServersFile.parse({
      servers: [
        { name: 'github', command: 'github-mcp', env: { TOKEN: { secret: 'GITHUB_TOKEN' }, MODE: 'read' } },
        { name: 'search', url: 'https://mcp.example.com/mcp', headers: { Authorization: { secret: 'SEARCH_KEY', template: 'Bearer {secret}' } }, timeoutMs: 5_000 },
      ],
    });
    expect(file.servers[0]).toEqual({ name: 'github', command: 'github-mcp', args: [], env: { TOKEN: { secret: 'GITHUB_TOKEN' }, MODE: 'read' }, timeoutMs: 60_000 });
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

describe('readMcpServersFile', () => {
  it('reads YAML (and so JSON), and says what is wrong with a file it cannot use', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sbx-mcp-'));
    const good = join(dir, 'mcp.yaml');
    await writeFile(good, 'servers:\n  - name: search\n    url: https://mcp.example.com/mcp\n');
    expect(await readMcpServersFile(good)).toEqual([{ name: 'search', url: 'https://mcp.example.com/mcp', headers: {}, timeoutMs: 60_000 }]);
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"servers": [{"name": "x", "url": "ftp://h"}]}');
    await expect(readMcpServersFile(bad)).rejects.toThrow(`the MCP servers file ${bad} is not valid: servers.0.url: an http:// or https:// URL`);
    await expect(readMcpServersFile(join(dir, 'absent.yaml'))).rejects.toThrow(/cannot be read: ENOENT/);
  });
});

describe('secretsOfServer', () => {
  it('names the secrets of the environment or the headers, once each', () => {
    const env = { A: { secret: 'TOKEN' }, B: { secret: 'TOKEN', template: 'x {secret}' }, C: 'plain', D: { secret: 'OTHER' } };
    expect(secretsOfServer({ name: 's', command: 'c', args: [], env, timeoutMs: 1 })).toEqual(['OTHER', 'TOKEN']);
    expect(secretsOfServer({ name: 's', url: 'http://h/mcp', headers: {}, timeoutMs: 1 })).toEqual([]);
  });
});
