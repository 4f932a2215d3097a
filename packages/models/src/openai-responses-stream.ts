import { z } from 'zod';
import { failureFromStreamError, malformedReply, streamCutOff, type CallContext } from './http-failures.ts';

/**
 * The Responses API's stream events that matter here: text and refusal deltas for `onText`, and the
 * last event, which carries the whole response (`response.completed`, `response.incomplete`) or its
 * failure (`response.failed`). The others (items and parts added and done, argument deltas) say again
 * what the last event holds, and are passed over; nothing of the stream is kept but that last response.
 */
const TextDelta = z.object({ type: z.enum(['response.output_text.delta', 'response.refusal.delta']), delta: z.string() });
const Finished = z.object({ type: z.enum(['response.completed', 'response.incomplete']), response: z.unknown() });
const Failed = z.object({
  type: z.literal('response.failed'),
  response: z.object({ error: z.object({ code: z.string().nullish(), message: z.string().nullish() }).nullish() }),
});

export async function assembleResponsesStream(events: AsyncIterable<unknown>, onText: (delta: string) => void, call: CallContext): Promise<unknown> {
  for await (const raw of events) {
    const type = (raw as { type?: unknown } | null)?.type;
    if (type === 'response.output_text.delta' || type === 'response.refusal.delta') {
      const delta = parse(TextDelta, raw, call).delta;
      if (delta !== '') onText(delta);
    } else if (type === 'response.completed' || type === 'response.incomplete') {
      return parse(Finished, raw, call).response;
    } else if (type === 'response.failed') {
      const error = parse(Failed, raw, call).response.error;
      throw failureFromStreamError(error?.code ?? undefined, error?.message ?? 'the response failed', call, raw);
    }
  }
  throw streamCutOff(call, undefined);
}

function parse<T>(schema: z.ZodType<T>, raw: unknown, call: CallContext): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw malformedReply(call, `a ${String((raw as { type?: unknown }).type)} stream event of an unexpected shape`, parsed.error);
}
