import { hostname } from 'node:os';
import { z } from 'zod';

/** Settings every Signalbox process reads from its environment. */
export const RuntimeConfig = z.object({
  natsUrl: z.string().default('nats://127.0.0.1:4222'),
  prefix: z.string().default('sbx'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  replicas: z.coerce.number().int().min(1).max(5).default(1),
  instance: z.string().default(`${hostname()}-${process.pid}`),
  /** How long a delivered message may go unacknowledged before another worker gets it (a crashed worker's messages). */
  ackWaitMs: z.coerce.number().int().min(500).default(30_000),
});
export type RuntimeConfig = z.infer<typeof RuntimeConfig>;

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  return RuntimeConfig.parse({
    natsUrl: env['NATS_URL'] || undefined,
    prefix: env['SIGNALBOX_PREFIX'] || undefined,
    logLevel: env['LOG_LEVEL'] || undefined,
    replicas: env['SIGNALBOX_REPLICAS'] || undefined,
    instance: env['SIGNALBOX_INSTANCE'] || undefined,
    ackWaitMs: env['SIGNALBOX_ACK_WAIT_MS'] || undefined,
  });
}
