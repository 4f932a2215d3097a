import type { NewEvent } from '@signalbox/events';
import { z } from 'zod';
import type { PendingTool } from './state.ts';

type AnsweredCall = Pick<PendingTool, 'callId' | 'tool'>;

/** A built-in tool's call answered at once, as an executor's result would be. */
export function builtInCompleted(call: AnsweredCall, output: string): NewEvent {
  return { type: 'tool.completed', data: { callId: call.callId, tool: call.tool, output, durationMs: 0 } };
}

/** A built-in tool's call refused at once, with the reason the model reads. */
export function builtInFailed(call: AnsweredCall, error: string): NewEvent {
  return { type: 'tool.failed', data: { callId: call.callId, tool: call.tool, error, durationMs: 0 } };
}

/** Input a built-in tool cannot take, refused with what is wrong with it. */
export function invalidInput(call: AnsweredCall, error: z.ZodError): NewEvent {
  return builtInFailed(call, `invalid input for ${call.tool}: ${z.prettifyError(error)}`);
}
