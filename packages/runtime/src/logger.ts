import { pino, type DestinationStream, type Logger } from 'pino';
import { maskUrlsIn } from './nats-auth.ts';

export type { Logger };

/**
 * Keys whose values never reach a log line, wherever they sit in a logged object. Secrets are kept
 * out of events and model context by design; this is the net under that.
 */
const secretPaths = ['apiKey', 'token', 'password', 'pass', 'secret', 'secrets', 'nkeySeed', 'authorization', 'credentials', 'keyFile', 'previousKeyFile'].flatMap((key) => [
  key,
  `*.${key}`,
  `*.*.${key}`,
]);

export interface LoggerOptions {
  service: string;
  instance: string;
  level: string;
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service, instance: options.instance },
      redact: { paths: secretPaths, censor: '[redacted]' },
      // Credentials in a URL (nats://user:pass@host) never reach a line: masked in the message and in errors.
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map(maskedArgument) as Parameters<typeof method>);
        },
      },
      serializers: { err: (error: Error) => maskedError(pino.stdSerializers.err(error)) },
    },
    options.destination,
  );
}

function maskedError(serialized: ReturnType<typeof pino.stdSerializers.err>): ReturnType<typeof pino.stdSerializers.err> {
  return { ...serialized, message: maskUrlsIn(serialized.message), stack: maskUrlsIn(serialized.stack) };
}

/** A message, or a logged object's top-level strings, with URL credentials masked. */
function maskedArgument(arg: unknown): unknown {
  if (typeof arg === 'string') return maskUrlsIn(arg);
  if (arg === null || typeof arg !== 'object' || arg instanceof Error || Array.isArray(arg)) return arg;
  return Object.fromEntries(Object.entries(arg).map(([key, value]) => [key, typeof value === 'string' ? maskUrlsIn(value) : value]));
}
