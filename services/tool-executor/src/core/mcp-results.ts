import { assertNever } from '@signalbox/events';

/** A content block of an MCP tool result, the parts Signalbox reads (`CallToolResult.content`). */
export type McpContent =
  | { type: 'text'; text: string }
  | { type: 'image' | 'audio'; data: string; mimeType: string }
  | { type: 'resource_link'; uri: string; name?: string | undefined; mimeType?: string | undefined }
  | { type: 'resource'; resource: { uri: string; mimeType?: string | undefined; text?: string | undefined; blob?: string | undefined } };

export interface McpCallResult {
  content?: readonly McpContent[] | undefined;
  structuredContent?: Record<string, unknown> | undefined;
  isError?: boolean | undefined;
}

/**
 * Characters of a result kept before the rest is cut, with a note: the executor stores outputs
 * past its own limit whole, but a server could send far more than anyone should keep.
 */
export const maxMcpResultChars = 1_000_000;

/**
 * The result as text for the model: text blocks as they are, embedded text resources with their URI,
 * and a line naming each image, audio clip, binary resource or link (their bytes are not model
 * text). Structured content is shown as JSON when the server sent no content blocks.
 */
export function mcpResultText(result: McpCallResult): string {
  const parts = (result.content ?? []).map(contentText);
  if (parts.length === 0 && result.structuredContent !== undefined) parts.push(JSON.stringify(result.structuredContent));
  const text = parts.join('\n\n');
  if (text.length <= maxMcpResultChars) return text;
  return `${text.slice(0, maxMcpResultChars)}\n[cut: the MCP server sent ${text.length} characters; the first ${maxMcpResultChars} are kept]`;
}

function contentText(block: McpContent): string {
  switch (block.type) {
    case 'text':
      return block.text;
    case 'image':
    case 'audio':
      return `[${block.type} ${block.mimeType}, ${base64Bytes(block.data)} bytes, not shown]`;
    case 'resource_link':
      return `[resource ${block.uri}${block.name ? ` (${block.name})` : ''}${block.mimeType ? `, ${block.mimeType}` : ''}]`;
    case 'resource': {
      const { uri, mimeType, text, blob } = block.resource;
      if (text !== undefined) return `[resource ${uri}]\n${text}`;
      return `[resource ${uri}${mimeType ? `, ${mimeType}` : ''}, ${base64Bytes(blob ?? '')} bytes, not shown]`;
    }
    default:
      return assertNever(block);
  }
}

function base64Bytes(data: string): number {
  return Math.floor((data.replace(/=+$/, '').length * 3) / 4);
}
