/**
 * One service process for the benchmarks, as `signalbox run <service>` starts one: BENCH_SERVICE is
 * `session-actor` (with a permission broker), `tool-executor` (offering `bench.noop`, a tool that answers at once),
 * or `in-process` (all three, the executor running the actor's calls: SIGNALBOX_EXECUTOR_IN_PROCESS), against
 * NATS_URL, under BENCH_PREFIX when given (an installation of its own beside another on the same server), logging at
 * BENCH_LOG_LEVEL (silent unless given: the runtime's cost apart from its logs). Prints `ready`; drains on SIGTERM.
 */
import { SessionIndexEntry } from '@signalbox/events';
import { createLogger, InProcessPermissions, InProcessTools, RuntimeConfig, startHost, stopOnSignals, type Service } from '@signalbox/runtime';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { sessionActorService } from '@signalbox/session-actor';
import { defineTool, toolExecutorService } from '@signalbox/tool-executor';

// zod is not a dependency of the root package; an exported object schema picked down to no keys is `{}`.
export const noopTool = defineTool({ name: 'bench.noop', description: 'Does nothing, at once.', input: SessionIndexEntry.pick({}), run: () => 'ok' });

/**
 * The session actor runs with a permission broker beside it, as every tool call is checked before it runs,
 * and asks it in process, as `signalbox run session-actor permission-broker` does.
 */
const services: Record<string, () => Service[]> = {
  'session-actor': () => actorWithBroker(),
  'tool-executor': () => [toolExecutorService({ tools: [noopTool], concurrency: 64 })],
  'in-process': () => {
    const inProcess = new InProcessTools();
    return [...actorWithBroker(inProcess), toolExecutorService({ tools: [noopTool], concurrency: 64, inProcess })];
  },
};

function actorWithBroker(inProcessTools?: InProcessTools): Service[] {
  const inProcessPermissions = new InProcessPermissions();
  return [sessionActorService({ concurrency: 64, inProcessPermissions, ...(inProcessTools ? { inProcessTools } : {}) }), permissionBrokerService({ inProcess: inProcessPermissions })];
}

if (process.env['BENCH_SERVICE'] !== undefined) {
  const service = services[process.env['BENCH_SERVICE']];
  if (!service) throw new Error(`BENCH_SERVICE must be one of ${Object.keys(services).join(', ')}`);
  const prefix = process.env['BENCH_PREFIX'] ? { prefix: process.env['BENCH_PREFIX'] } : {};
  const config = RuntimeConfig.parse({ natsUrl: process.env['NATS_URL'], logLevel: process.env['BENCH_LOG_LEVEL'] ?? 'silent', ...prefix, toolExecutor: { inProcess: process.env['BENCH_SERVICE'] === 'in-process' } });
  const host = await startHost(service(), config);
  stopOnSignals(host, createLogger({ service: 'bench-service', instance: config.instance, level: config.logLevel }));
  console.log('ready');
}
