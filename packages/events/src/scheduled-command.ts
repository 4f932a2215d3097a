import { z } from 'zod';
import { InboxCommand } from './commands.ts';
import { SessionId, TimerId } from './ids.ts';

/** The latest time a JavaScript Date can hold, in ms. */
const latestTime = 8_640_000_000_000_000;

/**
 * A command a timer sends to a session's inbox at `at` (ms since the epoch), and again every
 * `everyMs` after that when set. JSON in the timers stream, as the body of the timer's schedule.
 * It names a session, never a subject: whoever can write a timer can only reach a session's inbox.
 */
export const ScheduledCommand = z
  .object({
    timerId: TimerId,
    sessionId: SessionId,
    at: z.number().int().nonnegative().max(latestTime),
    command: InboxCommand,
    /** At least a second, as the server's own `@every` schedules: a shorter one would flood the inbox. */
    everyMs: z.number().int().min(1_000).optional(),
  })
  .refine((scheduled) => scheduled.command.sessionId === scheduled.sessionId, {
    message: 'the command is for another session than the timer',
    path: ['command', 'sessionId'],
  });
export type ScheduledCommand = z.infer<typeof ScheduledCommand>;
