import { pino, type DestinationStream, type Logger } from 'pino';
import { maskUrlsIn } from './nats-auth.ts';

export type { Logger };

/**
 * Keys whose values never reach a log line: at the top of a logged object (or a child's bindings), or
 * one or two objects down. Secrets are kept out of events and model context by design; this is the net under that.
 */
const secretKeys = new Set(['apiKey', 'token', 'password', 'pass', 'secret', 'secrets', 'nkeySeed', 'authorization', 'credentials', 'keyFile', 'previousKeyFile']);
/** How many objects below the top a secret-named key is still looked for. */
const secretDepth = 2;
const censor = '[redacted]';

export interface LoggerOptions {
  service: string;
  instance: string;
  level: string;
  destination?: DestinationStream;
}

/**
 * Every logger of the process writes to one stdout stream that gathers lines and writes them off the
 * event loop: at 4 KiB, at least every 100 ms, and at once (synchronously) when the process exits.
 * Written a line at a time (and censored by pino's wildcard redact paths, below), a tool executor logging
 * each call spent 24–42% more CPU a call than silent; now 6–7%.
 * A process killed outright (SIGKILL, an out-of-memory kill) loses at most the last 100 ms of lines;
 * the events stream, not the log, is the record of what a session did.
 */
let sharedStdout: DestinationStream | undefined;

function processStdout(): DestinationStream {
  sharedStdout ??= pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 });
  return sharedStdout;
}

/**
 * Secrets are censored by one walk of each logged object, bindings and serialized error, not by
 * pino's `redact`: its wildcard paths (`*.token`, `*.*.token` for each key) cost 14 µs a line, the
 * walk about 1 µs, with the same reach.
 */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? (options.level === 'silent' ? undefined : processStdout());
  const logger = pino(
    {
      level: options.level,
      base: { service: options.service, instance: options.instance },
      formatters: { log: loggable, bindings: loggable },
      // Credentials in a URL (nats://user:pass@host) never reach a line: masked in the message and in errors.
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg: unknown) => (typeof arg === 'string' ? maskUrlsIn(arg) : arg)) as Parameters<typeof method>);
        },
      },
      serializers: { err: (error: Error) => maskedError(pino.stdSerializers.err(error)) },
    },
    destination,
  );
  // pino formats only the root's bindings; a child's are censored here, on their way in. Children are
  // made from their parent's prototype, so theirs inherit this too; each is made by pino's own `child`
  // called on its parent (`this`), which is why the method is taken unbound.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const childOf = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return childOf.call(this, loggable(bindings), childOptions);
  } as Logger['child'];
  return logger;
}

function maskedError(serialized: ReturnType<typeof pino.stdSerializers.err>): ReturnType<typeof pino.stdSerializers.err> {
  // An error's own fields are serialized as they are: censored as if the error sat one object down.
  return withoutSecrets({ ...serialized, message: maskUrlsIn(serialized.message), stack: maskUrlsIn(serialized.stack) }, 1);
}

/** A logged object or bindings as a line may show them: secrets censored, URL credentials in its top-level strings masked. */
function loggable(object: Record<string, unknown>): Record<string, unknown> {
  const censored = withoutSecrets(object, 0);
  let masked: Record<string, unknown> | undefined;
  for (const key of Object.keys(censored)) {
    const value = censored[key];
    if (typeof value !== 'string') continue;
    const text = maskUrlsIn(value);
    if (text !== value) (masked ??= { ...censored })[key] = text;
  }
  return masked ?? censored;
}

/**
 * `value` with each secret-named key's value censored, down to `secretDepth` objects below the top.
 * Copied only where something is censored: the caller's object is never changed, and one holding no
 * secret is returned as it is. The depth bound also keeps a hostile, deeply nested value from costing more.
 */
function withoutSecrets<T>(value: T, depth: number): T {
  if (value === null || typeof value !== 'object' || depth > secretDepth) return value;
  const fields = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(fields)) {
    const inner = fields[key];
    const shown = secretKeys.has(key) ? censor : withoutSecrets(inner, depth + 1);
    if (shown !== inner) (copy ??= copyOf(value))[key] = shown;
  }
  return (copy ?? value) as T;
}

/** A shallow copy to censor: an array stays an array, and an error an error, so the `err` serializer still reads it. */
function copyOf(value: object): Record<string, unknown> {
  if (Array.isArray(value)) return [...(value as unknown[])] as unknown as Record<string, unknown>;
  if (value instanceof Error) return Object.assign(Object.create(Object.getPrototypeOf(value) as object) as Record<string, unknown>, value, { message: value.message, stack: value.stack });
  return { ...(value as Record<string, unknown>) };
}
