import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { ApiTokenName, ApiTokenRecord, ApiTokenScope } from '@signalbox/store';
import { access, callerOf } from '../access.ts';
import type { GatewayDeps, GatewayEnv } from '../deps.ts';
import { HttpProblem, refusals } from '../problems.ts';

/** Token admin: the secret is in the answer to its creation, and nowhere else, ever. */
export function tokenRoutes(app: OpenAPIHono<GatewayEnv>, deps: GatewayDeps): void {
  app.openapi(
    createRoute({ method: 'get', path: '/tokens', middleware: [access(deps, 'admin')], responses: { 200: { description: 'every token: name, scopes, creation time', content: { 'application/json': { schema: z.object({ tokens: z.array(ApiTokenRecord) }) } } }, ...refusals(401, 403, 429) } }),
    async (c) => c.json({ tokens: await deps.tokens.list() }, 200),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/tokens',
      middleware: [access(deps, 'admin')],
      request: { body: { required: true, content: { 'application/json': { schema: z.strictObject({ name: ApiTokenName, scopes: z.array(ApiTokenScope).min(1).max(4) }) } } } },
      responses: { 201: { description: 'the token, with its secret: shown this once', content: { 'application/json': { schema: ApiTokenRecord.extend({ secret: z.string() }) } } }, ...refusals(400, 401, 403, 409, 429) },
    }),
    async (c) => {
      const { name, scopes } = c.req.valid('json');
      const created = await deps.tokens.create(name, scopes, deps.clock());
      deps.logger.info({ tokenName: name, scopes, by: callerOf(c).name }, 'token created');
      return c.json(created, 201);
    },
  );
  app.openapi(
    createRoute({ method: 'delete', path: '/tokens/{name}', middleware: [access(deps, 'admin')], request: { params: z.object({ name: ApiTokenName }) }, responses: { 200: { description: 'revoked', content: { 'application/json': { schema: z.object({ revoked: z.string() }) } } }, ...refusals(400, 401, 403, 404, 429) } }),
    async (c) => {
      const { name } = c.req.valid('param');
      if (!(await deps.tokens.revoke(name))) throw new HttpProblem(404, 'unknown_token', `no token named "${name}"`);
      deps.logger.info({ tokenName: name, by: callerOf(c).name }, 'token revoked');
      return c.json({ revoked: name }, 200);
    },
  );
}
