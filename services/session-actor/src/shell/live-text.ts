import { encodeLiveMessage, type LiveMessage, type Naming } from '@signalbox/events';
import type { Logger } from '@signalbox/runtime';
import { textPieces } from '../core/text-pieces.ts';

/** One model call attempt's live text: its pieces as they arrive, then its end. */
export interface LiveCall {
  onText: (delta: string) => void;
  end: (failed: boolean) => void;
}

/** Opens a call attempt's live text on its session's live subject. */
export type LiveTextOpener = (sessionId: string, call: { callId: string; attempt: number }) => LiveCall;

export interface LiveTextDeps {
  /** Core NATS publish: it only queues the bytes for the connection, so a slow server never holds up the model call. */
  publish(subject: string, payload: Uint8Array): void;
  names: Naming;
  logger: Logger;
  /** Runs `flush` after `ms`, returning how to cancel it; a timer unless a test says otherwise. */
  schedule?: (flush: () => void, ms: number) => () => void;
}

export interface LiveTextLimits {
  /** The longest text waits before it is sent, so a provider's thousands of tokens are not as many messages. */
  flushEveryMs: number;
  /** Text that has gathered this many UTF-16 units is sent at once; no message holds more. */
  flushAtChars: number;
}

export const defaultLiveTextLimits: LiveTextLimits = { flushEveryMs: 30, flushAtChars: 4096 };

const timer = (flush: () => void, ms: number) => {
  const handle = setTimeout(flush, ms);
  return () => clearTimeout(handle);
};

/**
 * Publishes each call attempt's text as `LiveMessage`s, the tiny deltas gathered. A failed publish is
 * logged once a call and never fails the call: live text is a view, the log holds the reply.
 */
export function liveTextPublisher(deps: LiveTextDeps, limits: LiveTextLimits = defaultLiveTextLimits): LiveTextOpener {
  const schedule = deps.schedule ?? timer;
  return (sessionId, { callId, attempt }) => {
    const subject = deps.names.subjects.live(sessionId);
    let pending: string[] = [];
    let pendingChars = 0;
    let seq = 0;
    let cancelFlush: (() => void) | undefined;
    let warned = false;
    const send = (message: LiveMessage) => {
      try {
        deps.publish(subject, encodeLiveMessage(message));
      } catch (error) {
        if (!warned) deps.logger.warn({ err: error, sessionId, callId }, 'live output: could not publish the model text');
        warned = true;
      }
    };
    /** Sends what has gathered; `whole`: all of it, else only full-size pieces, the rest waiting for more. */
    const flush = (whole = true) => {
      const pieces = textPieces(pending.join(''), limits.flushAtChars);
      const last = pieces.at(-1);
      const kept = !whole && last !== undefined && last.length < limits.flushAtChars ? pieces.pop() : undefined;
      for (const text of pieces) send({ callId, attempt, seq: seq++, text });
      pending = kept === undefined ? [] : [kept];
      pendingChars = kept?.length ?? 0;
      if (kept !== undefined) return;
      cancelFlush?.();
      cancelFlush = undefined;
    };
    return {
      onText: (delta) => {
        pending.push(delta);
        pendingChars += delta.length;
        if (pendingChars >= limits.flushAtChars) flush(false);
        if (pendingChars > 0) cancelFlush ??= schedule(() => flush(), limits.flushEveryMs);
      },
      end: (failed) => {
        flush();
        send({ callId, attempt, seq: seq++, done: true, failed });
      },
    };
  };
}
