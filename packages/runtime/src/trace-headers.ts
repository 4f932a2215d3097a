import { headers, type MsgHdrs } from '@nats-io/nats-core';

/**
 * Publish options carrying a span's W3C `traceparent` in the message's headers, for the process that
 * takes the message up to trace under it; none without one.
 */
export function traceHeaders(traceparent: string | undefined): { headers?: MsgHdrs } {
  if (traceparent === undefined) return {};
  const carried = headers();
  carried.set('traceparent', traceparent);
  return { headers: carried };
}
