// An event subscriber replica for fault injection: `node subscriber-process.ts`. Runs one service,
// `fault-subscriber`, whose handler reports every event it is handed on core NATS subject
// `fault.handed` as `{ replica, sessionId, n, source }`, before the subscriber acknowledges it.
import { configFromEnv, createLogger, startEventSubscriber, startHost, stopOnSignals } from '@signalbox/runtime';

const config = configFromEnv();
const encoder = new TextEncoder();
const host = await startHost(
  [
    {
      name: 'fault-subscriber',
      start: (context) =>
        startEventSubscriber(context, {
          group: 'fault',
          heartbeatMs: 250,
          takeoverMs: 2_000,
          handle: async (event, delivery) => {
            const record = { replica: config.instance, sessionId: event.sessionId, n: event.n, source: delivery.source };
            context.nc.publish('fault.handed', encoder.encode(JSON.stringify(record)));
          },
        }),
    },
  ],
  config,
);
stopOnSignals(host, createLogger({ service: 'fault-subscriber', instance: config.instance, level: config.logLevel }));
process.stdout.write('ready\n');
