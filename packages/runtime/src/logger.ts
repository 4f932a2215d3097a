import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Keys whose values never reach a log line, wherever they sit in a logged object. Secrets are kept
 * out of events and model context by design; this is the net under that.
 */
const secretPaths = ['apiKey', 'token', 'password', 'secret', 'authorization', 'credentials'].flatMap((key) => [
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
    },
    options.destination,
  );
}
