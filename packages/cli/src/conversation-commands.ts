import { withClient, type GlobalOptions } from './connection.ts';
import { defaultRequester, report } from './pause-commands.ts';
import { exitCodeOf, printTimeline } from './session-commands.ts';

export interface SendFlags {
  as?: string;
  interrupt?: boolean;
  follow?: boolean;
}

export interface StopFlags {
  as?: string;
  reason?: string;
}

/** `signalbox send <id> <text>`: an idle conversation's next turn, or queued for the turn after the one running. */
export async function sendCommand(options: GlobalOptions, sessionId: string, text: string, flags: SendFlags): Promise<void> {
  const by = flags.as ?? defaultRequester();
  await withClient(options, async (client) => {
    const head = flags.follow ? ((await client.events(sessionId)).at(-1)?.n ?? 0) : 0;
    const sent = await client.send(sessionId, text, { by, ...(flags.interrupt ? { interrupt: true } : {}) });
    report(options, { sessionId, by, ...sent }, `sent ${sessionId} a message (as ${by})${flags.interrupt ? ', stopping its running step first' : ''}`);
    if (flags.follow) process.exitCode = exitCodeOf(await printTimeline(options, client, sessionId, { after: head }));
  }, 'must-exist');
}

/** `signalbox interrupt <id>`: the running step stops at once; the session waits for the next message. */
export async function interruptCommand(options: GlobalOptions, sessionId: string, flags: StopFlags): Promise<void> {
  const by = flags.as ?? defaultRequester();
  await withClient(options, async (client) => {
    const sent = await client.interrupt(sessionId, { by, reason: flags.reason ?? '' });
    report(options, { sessionId, by, ...sent }, `interrupted ${sessionId} (as ${by})`);
  }, 'must-exist');
}

/** `signalbox signal <id> <name> [payload]`: a `wait.signal` call waiting for the name completes with the payload. */
export async function signalCommand(options: GlobalOptions, sessionId: string, name: string, payload: string | undefined, flags: { as?: string }): Promise<void> {
  const by = flags.as ?? defaultRequester();
  await withClient(options, async (client) => {
    const sent = await client.signal(sessionId, name, { by, ...(payload === undefined ? {} : { payload }) });
    report(options, { sessionId, by, ...sent }, `sent ${sessionId} the signal ${name} (as ${by})`);
  }, 'must-exist');
}

/** `signalbox close <id>`: an idle conversation completes with its last answer; a running session ends aborted. */
export async function closeCommand(options: GlobalOptions, sessionId: string, flags: StopFlags): Promise<void> {
  const by = flags.as ?? defaultRequester();
  await withClient(options, async (client) => {
    const sent = await client.close(sessionId, { by, reason: flags.reason ?? '' });
    report(options, { sessionId, by, ...sent }, `asked ${sessionId} to close (as ${by})`);
  }, 'must-exist');
}
