import { OpenAPIHono, z } from '@hono/zod-openapi';
import { inputLimits, jsonLimitProblem } from '@signalbox/events';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import { access } from './access.ts';
import { consoleFile } from './console-files.ts';
import type { GatewayDeps, GatewayEnv } from './deps.ts';
import { HttpProblem, problemOf, problemResponse } from './problems.ts';
import { approvalRoutes } from './routes/approvals.ts';
import { authRoutes } from './routes/auth.ts';
import { runRoutes } from './routes/runs.ts';
import { sessionRoutes } from './routes/sessions.ts';
import { streamRoutes } from './routes/stream.ts';
import { tokenRoutes } from './routes/tokens.ts';

export const apiBase = '/api/v1';

/** The gateway's HTTP application: the API under /api/v1, and the console's files everywhere else. */
export function gatewayApp(deps: GatewayDeps): OpenAPIHono<GatewayEnv> {
  const app = new OpenAPIHono<GatewayEnv>();
  app.onError((error, c) => problemResponse(c, problemOf(error, deps.logger)));
  app.notFound((c) => problemResponse(c, new HttpProblem(404, 'not_found', `no route ${c.req.method} ${c.req.path}`)));
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: { defaultSrc: ["'self'"], connectSrc: ["'self'"], imgSrc: ["'self'", 'data:'], styleSrc: ["'self'", "'unsafe-inline'"], frameAncestors: ["'none'"], objectSrc: ["'none'"], baseUri: ["'none'"] },
    }),
  );
  app.route(apiBase, apiApp(deps));
  app.get('*', async (c) => {
    if (c.req.path.startsWith(`${apiBase}/`)) return problemResponse(c, new HttpProblem(404, 'not_found', `no route ${c.req.method} ${c.req.path}`));
    const file = await consoleFile(deps.consoleDir, new URL(c.req.url).pathname);
    if (file.kind === 'file') return c.body(new Uint8Array(file.body), 200, { 'Content-Type': file.type });
    if (file.kind === 'not found') return problemResponse(c, new HttpProblem(404, 'not_found', 'no such file'));
    return c.text(`The web console is not built: build services/gateway/console (its output goes to ${deps.consoleDir}). The API is at ${apiBase}.`, 503);
  });
  return app;
}

function apiApp(deps: GatewayDeps): OpenAPIHono<GatewayEnv> {
  const api = new OpenAPIHono<GatewayEnv>({
    defaultHook: (result) => {
      if (!result.success) throw new HttpProblem(400, 'invalid_request', z.prettifyError(result.error), result.error.issues);
    },
  });
  api.onError((error, c) => problemResponse(c, problemOf(error, deps.logger)));
  api.notFound((c) => problemResponse(c, new HttpProblem(404, 'not_found', `no route ${c.req.method} ${c.req.path}`)));
  // Refused before anything parses it: past the limit by its Content-Length, or as its chunks arrive.
  api.use(
    '*',
    bodyLimit({
      maxSize: inputLimits.maxBytes,
      onError: (c) => {
        // The rest of the body is not read: the connection cannot carry another request.
        c.header('Connection', 'close');
        throw new HttpProblem(413, 'too_large', `the body is over ${inputLimits.maxBytes} bytes`);
      },
    }),
  );
  api.use('*', async (c, next) => {
    if (c.req.raw.body !== null && c.req.header('Content-Type')?.startsWith('application/json')) {
      // A linear scan before JSON.parse and zod, which recurse: a body nested thousands deep would overflow their stacks.
      const problem = jsonLimitProblem(await c.req.text(), inputLimits);
      if (problem !== undefined) throw new HttpProblem(400, 'too_deep', problem);
    }
    await next();
  });
  authRoutes(api, deps);
  sessionRoutes(api, deps);
  streamRoutes(api, deps);
  approvalRoutes(api, deps);
  runRoutes(api, deps);
  tokenRoutes(api, deps);
  api.get('/healthz', access(deps, 'none'), (c) => c.json({ ok: true }));
  api.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Signalbox gateway', version: '1', description: 'The HTTP API over the Signalbox runtime. Auth: `Authorization: Bearer <token>`, or the sbx_session cookie from POST /auth/login with X-CSRF-Token on every request that changes something.' },
    servers: [{ url: apiBase }],
  });
  api.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  return api;
}
