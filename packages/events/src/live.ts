import { z } from 'zod';

/**
 * A piece of a model call's text as it arrived, on `<prefix>.live.<sessionId>` as JSON, so a console in
 * any language can show it. `seq` counts from 0 per call attempt; a retried call streams again under
 * the same `callId` with the next `attempt`. Live text is a view, never the record: the log holds the reply.
 */
export const LiveText = z.object({
  callId: z.string().min(1),
  attempt: z.number().int().positive(),
  seq: z.number().int().nonnegative(),
  text: z.string(),
});
export type LiveText = z.infer<typeof LiveText>;

/** The last message of a call attempt: `failed` when the call ended without a reply (its failure is in the log). */
export const LiveEnd = z.object({
  callId: z.string().min(1),
  attempt: z.number().int().positive(),
  seq: z.number().int().nonnegative(),
  done: z.literal(true),
  failed: z.boolean(),
});
export type LiveEnd = z.infer<typeof LiveEnd>;

export const LiveMessage = z.union([LiveText, LiveEnd]);
export type LiveMessage = z.infer<typeof LiveMessage>;

/** A live message's bytes on the wire. */
export function encodeLiveMessage(message: LiveMessage): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(message));
}

/** A live message read from the wire, or undefined for bytes that are not one (a live subject is anyone's to misuse). */
export function decodeLiveMessage(bytes: Uint8Array): LiveMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
  const parsed = LiveMessage.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
