// A host whose one service never finishes stopping: `node hanging-host.ts`, against NATS_URL, to show
// that SIGTERM's grace (SIGNALBOX_STOP_GRACE_MS) ends the process anyway. Ready at /readyz on SIGNALBOX_HEALTH_PORT.
import { configFromEnv, createLogger, startHost, stopOnSignals, type Service } from '@signalbox/runtime';

const stuck: Service = { name: 'stuck', start: async () => ({ stop: () => new Promise<void>(() => undefined) }) };
const config = configFromEnv();
const host = await startHost([stuck], config);
stopOnSignals(host, createLogger({ service: 'stuck', instance: config.instance, level: config.logLevel }));
