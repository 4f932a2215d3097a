import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { decode, InboxCommand, naming } from '@signalbox/events';
import { provision } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidCommandError, sendToSession } from './send-to-session.ts';

const names = naming('sbx');
let server: NatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  await provision(nc, names);
});
afterAll(async () => {
  await nc.close();
  await server.dispose();
});

/** How many steering commands (pauses, resumes: `.messages`) the inbox stream holds for `sessionId`, and the last of them. */
async function inboxOf(sessionId: string): Promise<{ count: number; last?: InboxCommand }> {
  const jsm = await jetstreamManager(nc);
  const subject = names.subjects.messages(sessionId);
  const info = await jsm.streams.info(names.streams.inbox, { subjects_filter: subject });
  const count = info.state.subjects?.[subject] ?? 0;
  if (count === 0) return { count };
  const last = await jsm.streams.getMessage(names.streams.inbox, { last_by_subj: subject });
  return { count, last: last ? decode(InboxCommand, last.data, 'inbox command') : undefined };
}

describe('sendToSession', () => {
  it("publishes a valid command on its own subject of the session's inbox, once per message id", async () => {
    const pause = { type: 'pause', sessionId: 's-send', by: 'test', reason: 'look' } as const;
    const first = await sendToSession(nc, names, 's-send', pause, { messageId: 'pause/s-send/1' });
    const again = await sendToSession(nc, names, 's-send', pause, { messageId: 'pause/s-send/1' });
    expect(first).toEqual({ messageId: 'pause/s-send/1', duplicate: false });
    expect(again.duplicate).toBe(true);
    expect(await inboxOf('s-send')).toEqual({ count: 1, last: pause });
  });

  it('gives each send its own message id when none is named', async () => {
    const resume = { type: 'resume', sessionId: 's-ids', by: 'test', budget: { maxSteps: 9 } } as const;
    const [a, b] = [await sendToSession(nc, names, 's-ids', resume), await sendToSession(nc, names, 's-ids', resume)];
    expect(a.messageId).not.toBe(b.messageId);
    expect(await inboxOf('s-ids')).toEqual({ count: 2, last: resume });
  });

  it.each([
    ['an unknown command type', 's-bad', { type: 'reboot', sessionId: 's-bad' }, /invalid command.*type/s],
    ['an oversize reason', 's-bad', { type: 'pause', sessionId: 's-bad', by: 'test', reason: 'x'.repeat(100_000) }, /reason/],
    ['a negative budget', 's-bad', { type: 'resume', sessionId: 's-bad', by: 'test', budget: { maxSteps: -1 } }, /maxSteps/],
    ['a bad session id', 'a.b', { type: 'pause', sessionId: 'a.b', by: 'test' }, /"a\.b" is not a session id/],
    ["another session's command", 's-bad', { type: 'pause', sessionId: 's-other', by: 'test' }, /names session s-other, not s-bad/],
    ['an intervention with too much evidence', 's-bad', { type: 'intervention', sessionId: 's-bad', detector: 'loop', action: 'nudge', message: 'stop', evidence: Array.from({ length: 1_000 }, (_, i) => i + 1) }, /evidence/],
  ])('refuses %s with InvalidCommandError, and sends nothing', async (_what, sessionId, command, message) => {
    const sent = sendToSession(nc, names, sessionId, command as InboxCommand);
    await expect(sent).rejects.toBeInstanceOf(InvalidCommandError);
    await expect(sent).rejects.toThrow(message);
    await expect(sent).rejects.toMatchObject({ code: 'invalid_command' });
    expect(await inboxOf('s-bad')).toEqual({ count: 0 });
  });
});
