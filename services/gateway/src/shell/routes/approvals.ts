import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { ApprovalId, ApprovalScope } from '@signalbox/events';
import { access, actorName, callerOf } from '../access.ts';
import type { GatewayDeps, GatewayEnv } from '../deps.ts';
import { refusals } from '../problems.ts';

const ApprovalParams = z.object({ approvalId: ApprovalId });
const Sent = z.object({ messageId: z.string(), duplicate: z.boolean() });
const Note = z.string().max(2_000).optional();

/** Calls held for a person's approval, and the answers. */
export function approvalRoutes(app: OpenAPIHono<GatewayEnv>, deps: GatewayDeps): void {
  const { client } = deps;
  app.openapi(
    createRoute({ method: 'get', path: '/approvals', middleware: [access(deps, 'read')], responses: { 200: { description: '{ approvals: [{ approvalId, sessionId, agent, tool, input, reason, deadline }] }, the nearest deadline first', content: { 'application/json': { schema: z.any().openapi('PendingApprovals') } } }, ...refusals(401, 403, 429) } }),
    async (c) => c.json({ approvals: await client.approvals() }, 200),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/approvals/{approvalId}/approve',
      middleware: [access(deps, 'approve')],
      request: { params: ApprovalParams, body: { required: true, content: { 'application/json': { schema: z.strictObject({ note: Note, scope: ApprovalScope.optional() }) } } } },
      responses: { 202: { description: 'the answer is in the session\'s inbox', content: { 'application/json': { schema: Sent } } }, ...refusals(400, 401, 403, 404, 409, 429) },
    }),
    async (c) => {
      const { note, scope } = c.req.valid('json');
      const caller = callerOf(c);
      const sent = await client.approve(c.req.valid('param').approvalId, { by: actorName(caller), ...(note ? { note } : {}), ...(scope ? { scope } : {}) });
      deps.logger.info({ approvalId: c.req.valid('param').approvalId, by: caller.name }, 'approval approved');
      return c.json(sent, 202);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/approvals/{approvalId}/deny',
      middleware: [access(deps, 'approve')],
      request: { params: ApprovalParams, body: { required: true, content: { 'application/json': { schema: z.strictObject({ note: Note }) } } } },
      responses: { 202: { description: 'the answer is in the session\'s inbox', content: { 'application/json': { schema: Sent } } }, ...refusals(400, 401, 403, 404, 409, 429) },
    }),
    async (c) => {
      const { note } = c.req.valid('json');
      const caller = callerOf(c);
      const sent = await client.deny(c.req.valid('param').approvalId, { by: actorName(caller), ...(note ? { note } : {}) });
      deps.logger.info({ approvalId: c.req.valid('param').approvalId, by: caller.name }, 'approval denied');
      return c.json(sent, 202);
    },
  );
}
