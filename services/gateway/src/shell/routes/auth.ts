import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { access, callerOf } from '../access.ts';
import { csrfCookie, csrfTokenFor, sessionCookie } from '../credentials.ts';
import type { GatewayDeps, GatewayEnv } from '../deps.ts';
import { HttpProblem, refusals } from '../problems.ts';

const Scopes = z.array(z.enum(['read', 'submit', 'approve', 'admin']));
const Me = z.object({ name: z.string(), scopes: Scopes });

/** The browser's login: the token goes into an HttpOnly cookie, never into the page's script. */
export function authRoutes(app: OpenAPIHono<GatewayEnv>, deps: GatewayDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/login',
      middleware: [access(deps, 'none')],
      request: { body: { required: true, content: { 'application/json': { schema: z.strictObject({ token: z.string().min(1).max(200) }) } } } },
      responses: { 200: { description: 'logged in: sets sbx_session (HttpOnly) and sbx_csrf (send it back as X-CSRF-Token)', content: { 'application/json': { schema: z.object({ name: z.string(), scopes: Scopes, csrf: z.string() }) } } }, ...refusals(400, 401, 429) },
    }),
    async (c) => {
      const { token } = c.req.valid('json');
      const record = await deps.tokens.verify(token);
      if (!record) throw new HttpProblem(401, 'invalid_token', 'the token is unknown or revoked');
      const csrf = csrfTokenFor(token);
      const secure = new URL(c.req.url).protocol === 'https:';
      setCookie(c, sessionCookie, token, { httpOnly: true, sameSite: 'Strict', path: '/', secure });
      setCookie(c, csrfCookie, csrf, { httpOnly: false, sameSite: 'Strict', path: '/', secure });
      deps.logger.info({ tokenName: record.name }, 'logged in');
      return c.json({ name: record.name, scopes: record.scopes, csrf }, 200);
    },
  );
  app.openapi(
    createRoute({ method: 'post', path: '/auth/logout', middleware: [access(deps, 'any')], responses: { 200: { description: 'both cookies cleared', content: { 'application/json': { schema: z.object({ ok: z.literal(true) }) } } }, ...refusals(401, 403, 429) } }),
    (c) => {
      clearCookies(c);
      return c.json({ ok: true as const }, 200);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/auth/me', middleware: [access(deps, 'any')], responses: { 200: { description: 'the caller', content: { 'application/json': { schema: Me } } }, ...refusals(401, 429) } }),
    (c) => {
      const { name, scopes } = callerOf(c);
      return c.json({ name, scopes: [...scopes] }, 200);
    },
  );
}

function clearCookies(c: Context): void {
  deleteCookie(c, sessionCookie, { path: '/' });
  deleteCookie(c, csrfCookie, { path: '/' });
}
