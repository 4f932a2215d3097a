/**
 * A Restate service for the peers benchmark, as a Restate user writes one: `agent/run` takes `{ steps }` and
 * runs that many steps of an agent loop, the model's turn and the tool's call each a journaled `ctx.run`,
 * then the model's last turn (steps + 1 model calls, as a Signalbox session of as many tool calls makes).
 * The loop keeps no conversation: the peer at its lightest. Serves HTTP/2 on loopback at PORT; prints `ready`.
 */
import { createServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { requirePeer } from './peer-packages.ts';

interface RunContext {
  run<T>(name: string, action: () => T | Promise<T>): Promise<T>;
}

interface RestateSdk {
  service(definition: { name: string; handlers: Record<string, (ctx: RunContext, input: { steps: number }) => Promise<unknown>> }): unknown;
  endpoint(): { bind(service: unknown): { http2Handler(): (request: Http2ServerRequest, response: Http2ServerResponse) => void } };
}

const restate = requirePeer<RestateSdk>('@restatedev/restate-sdk');

const agent = restate.service({
  name: 'agent',
  handlers: {
    run: async (ctx, { steps }) => {
      let modelCalls = 0;
      for (;;) {
        modelCalls += 1;
        const reply = await ctx.run('model', () => (modelCalls <= steps ? { tool: 'bench.noop', callId: `call-${modelCalls}` } : { final: 'done' }));
        if (!('tool' in reply)) return { modelCalls };
        await ctx.run('tool', () => ({ callId: reply.callId, output: 'ok' }));
      }
    },
  },
});

const server = createServer(restate.endpoint().bind(agent).http2Handler());
server.listen(Number(process.env['PORT']), '127.0.0.1', () => console.log('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
