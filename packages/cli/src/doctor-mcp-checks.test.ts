import type { McpServerStatus } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { mcpFindings, staleMcpStatusMs, type McpFacts } from './doctor-mcp-checks.ts';

const now = 1_000_000_000;
const connected: McpServerStatus = { server: 'github', transport: 'stdio', status: 'connected', tools: ['mcp.github.search'], refused: [], restarts: 0, at: now - 1_000 };
const facts = (overrides: Partial<McpFacts>): McpFacts => ({ configured: [], statuses: [], sealed: [], checkedAt: now, ...overrides });

describe('mcpFindings', () => {
  it('says nothing without MCP servers, and reports a healthy one as such', () => {
    expect(mcpFindings(undefined)).toEqual([]);
    expect(mcpFindings(facts({ statuses: [connected] }))).toEqual([{ level: 'ok', message: 'The MCP server github (stdio) is connected, offering 1 tool.' }]);
    expect(mcpFindings(facts({ statuses: [{ ...connected, restarts: 1 }] }))[0]?.message).toBe('The MCP server github (stdio) is connected, offering 1 tool (restarted once).');
    expect(mcpFindings(facts({ statuses: [{ ...connected, status: 'stopped', instance: 'vm-1' }] }))[0]?.message).toBe(
      "The MCP server github (stdio) was stopped with its executor (vm-1): none runs it now, and its tools' calls wait for one.",
    );
  });

  it('is an error when the file here cannot be used', () => {
    expect(mcpFindings(facts({ fileProblem: 'the MCP servers file /x is not valid: servers.0.url: an http:// or https:// URL' }))).toEqual([
      { level: 'error', message: 'the MCP servers file /x is not valid: servers.0.url: an http:// or https:// URL. Tool executors started with it here stop at start; fix the file.' },
    ]);
  });

  it('warns of secrets the vault lacks and servers no executor reports', () => {
    const found = mcpFindings(facts({ file: '/etc/mcp.yaml', configured: [{ name: 'search', transport: 'http', secrets: ['SEARCH_KEY', 'HELD'] }], sealed: ['HELD'] }));
    expect(found.map((finding) => finding.message)).toEqual([
      'The MCP server search needs the vault secret SEARCH_KEY, which the vault does not hold: executors cannot start it. Set it with `signalbox secrets set SEARCH_KEY`.',
      'The MCP server search (in /etc/mcp.yaml) has no status: no tool executor with SIGNALBOX_MCP_SERVERS set has started it. Its tools are offered by none.',
    ]);
  });

  it('warns of a server restarting, one whose status is stale, and tools it lists that are not offered', () => {
    const restarting = { ...connected, status: 'restarting' as const, lastError: 'its process ended', restarts: 4, refused: [{ tool: 'A.B', reason: 'the tools "A.B", "a_b" all map to "mcp.github.a_b"' }] };
    const stale = { ...connected, server: 'old', at: now - staleMcpStatusMs - 5_000, instance: 'executor-1' };
    expect(mcpFindings(facts({ statuses: [restarting, stale] }))).toEqual([
      { level: 'warn', message: 'The MCP server github (stdio) is restarting: its process ended (4 restarts). Its tools\' calls fail until it connects.' },
      { level: 'warn', message: 'The MCP server github (stdio) lists tools that are not offered (A.B: the tools "A.B", "a_b" all map to "mcp.github.a_b").' },
      { level: 'warn', message: 'The MCP server old (stdio) was last reported 95 s ago by executor-1: the executor that runs it may have stopped, and its tools\' calls wait for one.' },
    ]);
  });
});
