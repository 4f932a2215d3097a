import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { AgentName, SessionId, SessionIndexEntry, Task } from '@signalbox/events';
import { filterSessions } from '../../core/session-filter.ts';
import { sessionDetail } from '../../core/session-detail.ts';
import { access, actorName, callerOf } from '../access.ts';
import type { GatewayDeps, GatewayEnv } from '../deps.ts';
import { HttpProblem, refusals } from '../problems.ts';

export const SessionParams = z.object({ id: SessionId });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const body = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { 'application/json': { schema } } } });
// Shapes the SDK defines (summaries, trees, diffs, envelopes): described, not restated.
const Anything = z.any();

/** Session actors answer a task only under `_INBOX.`; the gateway's NATS user may hear this part of it alone. */
export const submitInboxPrefix = '_INBOX.gateway';

const millis = z.coerce.number().int().nonnegative();
const dollars = z.coerce.number().nonnegative();
const SessionsQuery = z.object({
  status: SessionIndexEntry.shape.status.optional(),
  agent: AgentName.optional(),
  since: millis.optional().openapi({ description: 'created at or after (ms since the epoch)' }),
  until: millis.optional().openapi({ description: 'created before (ms since the epoch)' }),
  minCost: dollars.optional(),
  maxCost: dollars.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.string().max(200).optional().openapi({ description: 'the `next` of the page before' }),
});

const SubmitBody = z.strictObject({ ...Task.shape, agent: AgentName }).openapi('SubmitTask');
const ReasonBody = z.strictObject({ reason: z.string().max(2_000).optional() });
/** A message for the session's next turn; `interrupt` stops the running step first, so the turn it starts reads it. */
const SendBody = z.strictObject({ text: z.string().min(1).max(100_000), interrupt: z.boolean().optional() });
const ForkBody = z
  .strictObject({
    at: z.number().int().positive(),
    edit: z.strictObject({ model: z.string().min(1).max(200).optional(), system: z.string().max(100_000).optional(), toolOutput: z.string().optional(), reply: z.string().optional() }).optional(),
    hermetic: z.boolean().optional(),
    sessionId: SessionId.optional(),
  })
  .openapi('ForkRequest');
const SessionCreated = z.object({ sessionId: SessionId, duplicate: z.boolean().optional() });
const Sent = z.object({ messageId: z.string(), duplicate: z.boolean() });

/** Sessions: list, submit, read, control and fork. */
export function sessionRoutes(app: OpenAPIHono<GatewayEnv>, deps: GatewayDeps): void {
  const { client } = deps;

  app.openapi(
    createRoute({ method: 'get', path: '/sessions', middleware: [access(deps, 'read')], request: { query: SessionsQuery }, responses: { 200: json(z.object({ sessions: z.array(SessionIndexEntry), next: z.string().optional() }), 'newest first'), ...refusals(400, 401, 403, 429) } }),
    async (c) => c.json(filterSessions(await deps.sessions.rows(), c.req.valid('query')), 200),
  );

  app.openapi(
    createRoute({ method: 'post', path: '/sessions', middleware: [access(deps, 'submit')], request: body(SubmitBody), responses: { 202: json(SessionCreated, 'accepted (or a duplicate of an earlier submission of this sessionId)'), ...refusals(400, 401, 403, 413, 429, 503) } }),
    async (c) => {
      const { agent, ...task } = c.req.valid('json');
      const outcome = await client.submit(agent, task, { timeoutMs: 10_000, inboxPrefix: submitInboxPrefix }).catch((error: unknown) => {
        throw new HttpProblem(503, 'not_admitted', error instanceof Error ? error.message : String(error));
      });
      if (outcome.status === 'rejected') throw new HttpProblem(400, 'task_rejected', outcome.error);
      deps.logger.info({ sessionId: outcome.sessionId, agent, by: callerOf(c).name }, 'task submitted');
      return c.json({ sessionId: outcome.sessionId, ...(outcome.status === 'duplicate' ? { duplicate: true } : {}) }, 202);
    },
  );

  app.openapi(
    createRoute({ method: 'get', path: '/sessions/{id}', middleware: [access(deps, 'read')], request: { params: SessionParams }, responses: { 200: json(Anything.openapi('SessionDetail'), 'the session: status, totals, budget, output, grades, interventions, memory loaded, parent and children'), ...refusals(400, 401, 403, 404, 429) } }),
    async (c) => {
      const { id } = c.req.valid('param');
      const [events, row] = await Promise.all([client.events(id), client.session(id)]);
      if (events.length === 0) throw unknownSession(id);
      return c.json(sessionDetail(events, row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sessions/{id}/events',
      middleware: [access(deps, 'read')],
      request: { params: SessionParams, query: z.object({ after: z.coerce.number().int().nonnegative().default(0), limit: z.coerce.number().int().min(1).max(1_000).default(200) }) },
      responses: { 200: json(Anything.openapi('Events'), '{ events: [envelope] }: the envelopes with n > after, at most limit'), ...refusals(400, 401, 403, 404, 429) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { after, limit } = c.req.valid('query');
      const events = await client.events(id, { fromN: after + 1, toN: after + limit });
      if (events.length === 0 && !(await client.hasSession(id))) throw unknownSession(id);
      return c.json({ events }, 200);
    },
  );

  app.openapi(
    createRoute({ method: 'get', path: '/sessions/{id}/tree', middleware: [access(deps, 'read')], request: { params: SessionParams }, responses: { 200: json(Anything.openapi('RunTree'), 'the run tree: the session and its subagents'), ...refusals(400, 401, 403, 404, 429) } }),
    async (c) => c.json(await client.runTree(c.req.valid('param').id), 200),
  );

  for (const action of ['pause', 'resume', 'interrupt'] as const) {
    app.openapi(
      createRoute({ method: 'post', path: `/sessions/{id}/${action}`, middleware: [access(deps, 'submit')], request: { params: SessionParams, ...body(ReasonBody) }, responses: { 202: json(Sent, 'the command is in the session\'s inbox'), ...refusals(400, 401, 403, 404, 429) } }),
      async (c) => {
        const { id } = c.req.valid('param');
        const { reason } = c.req.valid('json');
        const by = actorName(callerOf(c));
        const sent = action === 'pause' ? await client.pause(id, { by, reason }) : action === 'resume' ? await client.resume(id, { by }) : await client.interrupt(id, { by, reason });
        return c.json(sent, 202);
      },
    );
  }

  app.openapi(
    createRoute({ method: 'post', path: '/sessions/{id}/send', middleware: [access(deps, 'submit')], request: { params: SessionParams, ...body(SendBody) }, responses: { 202: json(Sent, 'the message is in the session\'s inbox'), ...refusals(400, 401, 403, 404, 429) } }),
    async (c) => {
      const { text, interrupt } = c.req.valid('json');
      return c.json(await client.send(c.req.valid('param').id, text, { by: actorName(callerOf(c)), ...(interrupt ? { interrupt } : {}) }), 202);
    },
  );

  app.openapi(
    createRoute({ method: 'post', path: '/sessions/{id}/fork', middleware: [access(deps, 'submit')], request: { params: SessionParams, ...body(ForkBody) }, responses: { 201: json(SessionCreated, 'the fork\'s session id'), ...refusals(400, 401, 403, 404, 409, 429) } }),
    async (c) => {
      const { id } = c.req.valid('param');
      if (!(await client.hasSession(id))) throw unknownSession(id);
      const { at, edit, hermetic, sessionId } = c.req.valid('json');
      const forkId = await client.fork(id, { at, ...edit, ...(hermetic ? { hermetic } : {}), ...(sessionId ? { sessionId } : {}) });
      deps.logger.info({ sessionId: forkId, forkedFrom: id, at, by: callerOf(c).name }, 'session forked');
      return c.json({ sessionId: forkId }, 201);
    },
  );
}

export function unknownSession(id: string): HttpProblem {
  return new HttpProblem(404, 'unknown_session', `no session ${id}`);
}
