import type { SignalboxClient } from '@signalbox/client';
import type { LiveMessage } from '@signalbox/events';

/** Where `tail --live` writes: the model's text as it comes, no newline added but at a call's end. */
export interface LiveOutput {
  write(text: string): void;
}

/**
 * Prints a session's model text as it arrives until the signal aborts: the text as is (each call's
 * ended by a newline), or with `json` one `LiveMessage` a line. A call that failed says so.
 */
export async function printLiveText(client: SignalboxClient, sessionId: string, options: { json: boolean; signal: AbortSignal }, out: LiveOutput): Promise<void> {
  const open = new Set<string>();
  for await (const message of client.live(sessionId, options.signal)) {
    if (options.json) out.write(`${JSON.stringify(message)}\n`);
    else out.write(liveLine(message, open));
  }
}

/** The text to print for one message; `open` holds the calls whose text has begun and not ended. */
export function liveLine(message: LiveMessage, open: Set<string>): string {
  const call = `${message.callId}/${message.attempt}`;
  if ('text' in message) {
    open.add(call);
    return message.text;
  }
  const begun = open.delete(call);
  if (message.failed) return `${begun ? '\n' : ''}(the model call ${message.callId} failed; its failure is in the log)\n`;
  return begun ? '\n' : '';
}
