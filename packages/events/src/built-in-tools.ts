import { z } from 'zod';
import { TimerId } from './ids.ts';
import type { AdvertisedTool } from './tool-advertisement.ts';

/** The longest a built-in wait may last: thirty days (a wait past the session's wall-clock budget is refused sooner). */
export const maxWaitMs = 30 * 24 * 3_600_000;

/** `wait.time`: wait `seconds`, or until the time `until` (ISO 8601). Exactly one. */
export const WaitTimeInput = z
  .strictObject({
    seconds: z.number().positive().max(maxWaitMs / 1000).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((input) => (input.seconds === undefined) !== (input.until === undefined), { message: 'give either "seconds" or "until", not both or neither' });
export type WaitTimeInput = z.infer<typeof WaitTimeInput>;

/** `wait.signal`: wait for the signal `name`, for at most `timeoutSeconds` when given. */
export const WaitSignalInput = z.strictObject({
  name: TimerId,
  timeoutSeconds: z.number().positive().max(maxWaitMs / 1000).optional(),
});
export type WaitSignalInput = z.infer<typeof WaitSignalInput>;

/**
 * Tools the runtime itself runs (decider version 9 on): an agent lists them like any tool, and no
 * executor serves them. Their waits are durable timers, so no process holds them.
 */
export const builtInTools: readonly AdvertisedTool[] = [
  {
    name: 'wait.time',
    description: 'Wait a number of seconds, or until a time (ISO 8601), before going on. Nothing runs meanwhile; the wait survives restarts.',
    // Written out, not generated: a model reads it, and the generated one carries a long date-time pattern.
    inputSchema: {
      type: 'object',
      properties: {
        seconds: { type: 'number', exclusiveMinimum: 0, maximum: maxWaitMs / 1000, description: 'how long to wait' },
        until: { type: 'string', format: 'date-time', description: 'when to go on, ISO 8601 with its offset (instead of seconds)' },
      },
      additionalProperties: false,
    },
    idempotent: true,
  },
  {
    name: 'wait.signal',
    description: 'Wait until someone sends this session the named signal (its payload is the result), or the timeout passes.',
    inputSchema: {
      type: 'object',
      properties: {
        name: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,100}$', description: 'the signal to wait for' },
        timeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: maxWaitMs / 1000, description: 'give up after this long (waits for as long as it takes when left out)' },
      },
      required: ['name'],
      additionalProperties: false,
    },
    idempotent: true,
  },
];

export function isBuiltInTool(name: string): boolean {
  return builtInTools.some((tool) => tool.name === name);
}
