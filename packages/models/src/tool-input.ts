import { holdsProtoKey } from '@signalbox/events';

/**
 * A tool input as the model sent it, unless the log could not read it back (a `__proto__` key):
 * that one stays JSON text, which the tool's input validation turns into a failure the model reads.
 */
export function recordableToolInput(input: unknown): unknown {
  return holdsProtoKey(input) ? JSON.stringify(input) : input;
}
