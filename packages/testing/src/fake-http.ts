import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One planned answer of a fake provider server. */
export type FakeReply =
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  /** A body sent as is, with a JSON content type: for malformed replies. */
  | { kind: 'raw'; status: number; body: string; headers?: Record<string, string> }
  /** Wait before answering; longer than the client's timeout, it makes the client give up. */
  | { kind: 'delayed'; ms: number; reply: FakeReply }
  /** A 200 `text/event-stream` of these events; `cut` drops the connection after them instead of ending the body. */
  | { kind: 'sse'; events: readonly SseEvent[]; cut?: boolean };

/** One server-sent event as a provider writes it: `event: <event>` (when named), then `data: <data>`. */
export interface SseEvent {
  event?: string;
  data: string;
}

/** A request the fake received, for tests to assert what the adapter sent. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: unknown;
  /** `Date.now()` when the request arrived: to check retry pacing. */
  receivedAt: number;
}

export interface FakeHttpServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly requests: readonly RecordedRequest[];
  /** Queue replies; each request takes the next one. */
  reply: (...replies: FakeReply[]) => void;
  close: () => Promise<void>;
}

export interface FakeHttpOptions {
  /** `POST` paths the fake serves; others get `notFound`. */
  paths: readonly string[];
  notFound(path: string): FakeReply;
  /** Answer for a request that arrives when no reply is queued, so the test fails loudly. */
  unplanned(): FakeReply;
  /**
   * The events that stream a planned 200 JSON reply, for a request that asks for a stream
   * (`"stream": true`): every planned reply serves either kind of call, the same reply either way.
   */
  streamOf(path: string, body: unknown): SseEvent[];
}

export function delayed(ms: number, reply: FakeReply): FakeReply {
  return { kind: 'delayed', ms, reply };
}

/** A 200 whose body is cut off mid-JSON, as a broken proxy might send. */
export function malformedJson(): FakeReply {
  return { kind: 'raw', status: 200, body: '{"id": "truncated", "content": [' };
}

/** A stream of `events`; `cut`: the connection drops after them, as a stream broken off midway. */
export function sseReply(events: readonly SseEvent[], options: { cut?: boolean } = {}): FakeReply {
  return { kind: 'sse', events, ...(options.cut ? { cut: true } : {}) };
}

/** A JSON value as one event's data: `{ type, ...fields }`, named after its type as Anthropic and the Responses API name them. */
export function typedEvent(type: string, fields: Record<string, unknown>): SseEvent {
  return { event: type, data: JSON.stringify({ type, ...fields }) };
}

/** A scripted HTTP server on a free loopback port. */
export async function startFakeHttp(options: FakeHttpOptions): Promise<FakeHttpServer> {
  const queue: FakeReply[] = [];
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    receive(req).then(
      (request) => {
        requests.push(request);
        const known = req.method === 'POST' && options.paths.includes(request.path);
        const planned = known ? (queue.shift() ?? options.unplanned()) : options.notFound(request.path);
        send(res, streamed(request) ? asStream(planned, request.path, options) : planned, timers);
      },
      // The client went away mid-body: nothing to answer.
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    reply: (...replies) => void queue.push(...replies),
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

async function receive(req: IncomingMessage): Promise<RecordedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { method: req.method ?? '', path: (req.url ?? '').split('?')[0] ?? '', headers, body: parseJson(text), receivedAt: Date.now() };
}

function streamed(request: RecordedRequest): boolean {
  return (request.body as { stream?: unknown } | null)?.stream === true;
}

/** A planned 200 JSON reply as the events that stream it; errors and replies planned as streams stay as they are. */
function asStream(reply: FakeReply, path: string, options: FakeHttpOptions): FakeReply {
  if (reply.kind === 'delayed') return { ...reply, reply: asStream(reply.reply, path, options) };
  if (reply.kind !== 'json' || reply.status !== 200) return reply;
  return sseReply(options.streamOf(path, reply.body));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function send(res: ServerResponse, reply: FakeReply, timers: Set<NodeJS.Timeout>): void {
  if (reply.kind === 'delayed') {
    const timer = setTimeout(() => {
      timers.delete(timer);
      // The client may have given up and closed the socket meanwhile.
      if (!res.destroyed) send(res, reply.reply, timers);
    }, reply.ms);
    timers.add(timer);
    return;
  }
  if (reply.kind === 'sse') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const frames = reply.events.map((event) => `${event.event === undefined ? '' : `event: ${event.event}\n`}data: ${event.data}\n\n`);
    res.write(frames.join(''));
    if (reply.cut) res.destroy();
    else res.end();
    return;
  }
  const body = reply.kind === 'json' ? JSON.stringify(reply.body) : reply.body;
  res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
  res.end(body);
}
