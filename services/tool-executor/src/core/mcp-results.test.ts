import { describe, expect, it } from 'vitest';
import { maxMcpResultChars, mcpResultText } from './mcp-results.ts';

describe('mcpResultText', () => {
  it('joins text, names binary content and links, and shows embedded text resources', () => {
    const text = mcpResultText({
      content: [
        { type: 'text', text: 'first' },
        { type: 'audio', data: 'AAAA', mimeType: 'audio/wav' },
        { type: 'resource_link', uri: 'https://example.com/a', name: 'a', mimeType: 'text/html' },
        { type: 'resource', resource: { uri: 'file:///b.bin', mimeType: 'application/octet-stream', blob: 'AAAAAA==' } },
      ],
    });
    expect(text).toBe('first\n\n[audio audio/wav, 3 bytes, not shown]\n\n[resource https://example.com/a (a), text/html]\n\n[resource file:///b.bin, application/octet-stream, 4 bytes, not shown]');
  });

  it('shows structured content as JSON when there are no content blocks', () => {
    expect(mcpResultText({ content: [], structuredContent: { count: 2 } })).toBe('{"count":2}');
    expect(mcpResultText({})).toBe('');
  });

  it('cuts a result past the limit, saying how much the server sent', () => {
    const text = mcpResultText({ content: [{ type: 'text', text: 'z'.repeat(maxMcpResultChars + 10) }] });
    expect(text.endsWith(`\n[cut: the MCP server sent ${maxMcpResultChars + 10} characters; the first ${maxMcpResultChars} are kept]`)).toBe(true);
  });
});
