import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { SessionEvent } from '@signalbox/events';
import { streamSSE } from 'hono/streaming';
import { access, callerOf } from '../access.ts';
import type { GatewayDeps, GatewayEnv } from '../deps.ts';
import { HttpProblem, refusals } from '../problems.ts';
import { SessionParams, unknownSession } from './sessions.ts';

/** A comment line this often keeps proxies from closing a quiet stream. */
const keepAliveMs = 15_000;

const StreamQuery = z.object({ after: z.coerce.number().int().nonnegative().optional().openapi({ description: 'resume after this event (as Last-Event-ID does)' }) });

/**
 * `GET /sessions/{id}/stream`: the session's events as Server-Sent Events, live, each with `id: n`.
 * It ends after `session.completed`, when the client goes, or when the gateway stops; every way out
 * aborts the follow, which closes its ordered consumer (no consumer is left on the server).
 */
export function streamRoutes(app: OpenAPIHono<GatewayEnv>, deps: GatewayDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/sessions/{id}/stream',
      middleware: [access(deps, 'read')],
      request: { params: SessionParams, query: StreamQuery, headers: z.object({ 'last-event-id': z.string().regex(/^\d{1,15}$/).optional() }) },
      responses: { 200: { description: 'text/event-stream: `id: <n>`, `event: <type>`, `data: <envelope JSON>`; keep-alive comments', content: { 'text/event-stream': { schema: z.string() } } }, ...refusals(400, 401, 403, 404, 429) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const lastEventId = c.req.valid('header')['last-event-id'];
      const after = lastEventId !== undefined ? Number(lastEventId) : (c.req.valid('query').after ?? 0);
      if (!(await deps.client.hasSession(id))) throw unknownSession(id);
      const caller = callerOf(c).name;
      if (!deps.streams.open(caller)) throw new HttpProblem(429, 'too_many_streams', `token "${caller}" holds ${deps.settings.maxStreamsPerToken} live streams already: close one first`);
      const follow = new AbortController();
      const onStop = () => follow.abort();
      deps.stopping.addEventListener('abort', onStop, { once: true });
      // The request's signal aborts when the client's connection closes, even while no event is due to be written.
      c.req.raw.signal.addEventListener('abort', onStop, { once: true });
      return streamSSE(c, async (stream) => {
        stream.onAbort(() => follow.abort());
        const keepAlive = setInterval(() => void stream.write(': keep-alive\n\n').catch(() => follow.abort()), keepAliveMs);
        try {
          for await (const event of deps.client.follow(id, follow.signal, after)) {
            await stream.writeSSE({ id: String(event.n), event: event.type, data: JSON.stringify(event satisfies SessionEvent) });
          }
        } catch (error) {
          if (!follow.signal.aborted) deps.logger.warn({ err: error, sessionId: id }, 'live stream ended by an error');
        } finally {
          clearInterval(keepAlive);
          follow.abort();
          deps.stopping.removeEventListener('abort', onStop);
          c.req.raw.signal.removeEventListener('abort', onStop);
          deps.streams.close(caller);
        }
      });
    },
  );
}
