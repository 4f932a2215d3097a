import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

/** What an oversize response's error says, also when the SDK passes it on as text only. */
export const oversizeMessage = 'bytes in one response';

/** A response body past the cap: the server sent more than one message may hold. */
export class OversizeResponseError extends Error {
  override readonly name = 'OversizeResponseError';
  readonly code = 'oversize_response';
  constructor(maxBytes: number) {
    super(`the MCP server sent more than ${maxBytes} ${oversizeMessage}`);
  }
}

/**
 * `fetch` whose response bodies fail once they pass `maxBytes`: the SDK reads a Streamable HTTP
 * server's answer whole, so without a cap a hostile server could fill the executor's memory.
 */
export function cappedFetch(maxBytes: number, base: FetchLike = fetch): FetchLike {
  return async (url, init) => {
    const response = await base(url, init);
    if (response.body === null) return response;
    let seen = 0;
    const capped = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.byteLength;
          if (seen > maxBytes) controller.error(new OversizeResponseError(maxBytes));
          else controller.enqueue(chunk);
        },
      }),
    );
    return new Response(capped, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
