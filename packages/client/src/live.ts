import type { NatsConnection } from '@nats-io/nats-core';
import { decodeLiveMessage, naming, SessionId, type LiveMessage } from '@signalbox/events';

export interface LiveOptions {
  /** Stops following: the iteration ends. */
  signal?: AbortSignal;
  prefix?: string;
}

/**
 * A session's model text as it arrives (`<prefix>.live.<sessionId>`, core NATS), parsed and checked;
 * a message that is not a `LiveMessage` is passed over (anyone allowed on the subject could send one).
 * Nothing is kept: text sent before following began is not seen; the log holds every reply. It needs
 * no JetStream, so a user that may only hear live subjects (`live-viewer`) can follow with it.
 */
export function followLive(nc: NatsConnection, sessionId: string, options: LiveOptions = {}): AsyncGenerator<LiveMessage> {
  // Checked at once: a wildcard or dotted id would hear other sessions' text.
  const subject = naming(options.prefix).subjects.live(SessionId.parse(sessionId));
  return liveMessagesOn(nc, subject, options.signal);
}

async function* liveMessagesOn(nc: NatsConnection, subject: string, signal: AbortSignal | undefined): AsyncGenerator<LiveMessage> {
  const subscription = nc.subscribe(subject);
  const stop = () => subscription.unsubscribe();
  signal?.addEventListener('abort', stop, { once: true });
  if (signal?.aborted) stop();
  try {
    for await (const message of subscription) {
      const live = decodeLiveMessage(message.data);
      if (live) yield live;
    }
  } finally {
    signal?.removeEventListener('abort', stop);
    subscription.unsubscribe();
  }
}
