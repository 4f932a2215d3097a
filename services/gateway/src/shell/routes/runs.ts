import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { diffSessions } from '@signalbox/client';
import { MemoryStoreName, SessionId } from '@signalbox/events';
import { access } from '../access.ts';
import type { GatewayDeps, GatewayEnv } from '../deps.ts';
import { HttpProblem, refusals } from '../problems.ts';
import { unknownSession } from './sessions.ts';

// Shapes the SDK defines (summaries, trees, diffs, envelopes): described, not restated.
const Anything = z.any();
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

/** A stored agent as the API lists it: enough to pick one; its whole definition is in each session's `session.created`. */
const AgentSummary = z.object({ name: z.string(), model: z.string(), tools: z.array(z.string()), conversation: z.boolean() }).openapi('AgentSummary');

/** What runs came to beyond one session: diffs, long tool outputs, memory stores; and the agents to run. */
export function runRoutes(app: OpenAPIHono<GatewayEnv>, deps: GatewayDeps): void {
  const { client } = deps;
  app.openapi(
    createRoute({ method: 'get', path: '/diff', middleware: [access(deps, 'read')], request: { query: z.object({ a: SessionId, b: SessionId }) }, responses: { 200: json(Anything.openapi('SessionDiff'), 'where the two runs part, and what each came to'), ...refusals(400, 401, 403, 404, 429) } }),
    async (c) => {
      const { a, b } = c.req.valid('query');
      const [left, right] = await Promise.all([client.events(a), client.events(b)]);
      if (left.length === 0) throw unknownSession(a);
      if (right.length === 0) throw unknownSession(b);
      return c.json(diffSessions(left, right), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/tool-outputs/{sha256}',
      middleware: [access(deps, 'read')],
      request: { params: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 is 64 lower-case hex digits').openapi({ param: { name: 'sha256', in: 'path' } }) }) },
      responses: { 200: { description: 'the whole output', content: { 'text/plain': { schema: z.string() } } }, ...refusals(400, 401, 403, 404, 429) },
    }),
    async (c) => {
      const output = await client.toolOutput(c.req.valid('param').sha256);
      if (output === undefined) throw new HttpProblem(404, 'unknown_output', 'no tool output is stored under that sha256');
      return c.text(output, 200);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/agents', middleware: [access(deps, 'read')], responses: { 200: json(z.object({ agents: z.array(AgentSummary) }), 'every stored agent, by name'), ...refusals(401, 403, 429) } }),
    async (c) => {
      const agents = (await client.agents()).map(({ name, model, tools, conversation }) => ({ name, model, tools, conversation: conversation !== undefined }));
      return c.json({ agents }, 200);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/memory', middleware: [access(deps, 'read')], responses: { 200: json(Anything.openapi('MemoryStores'), '{ stores: [{ definition, head }] }: every memory store, with its head version'), ...refusals(401, 403, 429) } }),
    async (c) => {
      const memory = await client.memory();
      const stores = await Promise.all((await memory.definitions()).map(async (definition) => ({ definition, head: (await memory.head(definition.name))?.version })));
      return c.json({ stores }, 200);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/memory/{store}/versions', middleware: [access(deps, 'read')], request: { params: z.object({ store: MemoryStoreName }) }, responses: { 200: json(Anything.openapi('MemoryVersions'), '{ versions }: the store\'s versions, oldest first'), ...refusals(400, 401, 403, 404, 429) } }),
    async (c) => {
      const { store } = c.req.valid('param');
      const memory = await client.memory();
      if ((await memory.definition(store)) === undefined) throw new HttpProblem(404, 'unknown_store', `no memory store ${store}`);
      return c.json({ versions: await memory.versions(store) }, 200);
    },
  );
}
