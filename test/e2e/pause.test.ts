import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient, UnknownSessionError } from '@signalbox/client';
import { encode, naming, type SessionEvent } from '@signalbox/events';
import { RuntimeConfig, startHost, type Host } from '@signalbox/runtime';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { sessionActorService } from '@signalbox/session-actor';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { defineTool, toolExecutorService, workspaceTools } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { eventsUntil, scriptedAgent, succeededSession } from '../support/runtime.ts';

const names = naming('sbx');

/** A tool that answers only when the test opens its gate: the session waits on it, as on any slow tool. */
const waiting: (() => void)[] = [];
const openGate = () => waiting.splice(0).forEach((open) => open());
const gate = defineTool({
  name: 'gate.wait',
  description: 'Waits for the test',
  input: z.object({}),
  run: () => new Promise<string>((resolve) => waiting.push(() => resolve('opened'))),
});

let server: NatsServer;
let nc: NatsConnection;
let client: SignalboxClient;
let executor: Host;
let actor: Host;

const startActor = async () => startHost([sessionActorService(), permissionBrokerService()], RuntimeConfig.parse({ natsUrl: server.url, logLevel: 'silent', instance: 'actor', ackWaitMs: 2_000 }));

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  client = await SignalboxClient.open(nc);
  executor = await startHost([toolExecutorService({ tools: [...workspaceTools, gate] })], RuntimeConfig.parse({ natsUrl: server.url, logLevel: 'silent', instance: 'executor' }));
  actor = await startActor();
  await client.applyAgent(scriptedAgent());
  await client.applyAgent({
    name: 'gated',
    model: 'scripted',
    tools: ['gate.wait', 'workspace.write'],
    script: [{ tool: 'gate.wait', input: {} }, { tool: 'workspace.write', input: { path: 'after.md', content: 'resumed' } }, { final: 'done after the gate' }],
  });
});
afterAll(async () => {
  await nc.close();
  await Promise.all([actor.stop(), executor.stop()]);
  await server.dispose();
});

const last = (type: SessionEvent['type']) => (events: readonly SessionEvent[]) => events.at(-1)?.type === type;
const typesOf = (events: readonly SessionEvent[]) => events.map((event) => event.type);

/** Waits until the session's inbox and steering subjects hold no command: an actor has taken (and acked) every one sent to it. */
async function inboxTaken(sessionId: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const subjects = [names.subjects.inbox(sessionId), names.subjects.messages(sessionId)];
  for (let tries = 0; tries < 100; tries++) {
    const held = await Promise.all(subjects.map(async (subject) => (await jsm.streams.info(names.streams.inbox, { subjects_filter: subject })).state.subjects?.[subject] ?? 0));
    if (held.every((count) => count === 0)) return;
    await sleep(50);
  }
  throw new Error(`the inbox of ${sessionId} was not emptied`);
}

/** The log a little after the session had its chance to act: what it did on its own by then. */
async function settled(sessionId: string): Promise<SessionEvent[]> {
  await sleep(400);
  return client.events(sessionId);
}

describe('pausing and resuming a session end to end', () => {
  it('makes no model or tool call while paused, also after the actor restarts, and finishes once resumed', async () => {
    await client.submit('gated', { input: 'wait at the gate', sessionId: 'paused-1' });
    await eventsUntil(client, 'paused-1', last('tool.requested'));

    await client.pause('paused-1', { by: 'test:ann', reason: 'checking the gate' });
    const pausedAt = (await eventsUntil(client, 'paused-1', last('session.paused'))).length;
    // The result the session waited for arrives while paused: recorded, and nothing follows it.
    openGate();
    await eventsUntil(client, 'paused-1', last('tool.completed'));
    const whilePaused = await settled('paused-1');
    expect(typesOf(whilePaused.slice(pausedAt - 1))).toEqual(['session.paused', 'tool.completed']);
    expect(whilePaused[pausedAt - 1]).toMatchObject({ data: { by: 'test:ann', reason: 'checking the gate' } });

    // A new actor process knows the session only from its log: still paused. A second pause reaches it
    // (recording nothing) and makes it pick up what the log leaves to do, which is nothing while paused.
    await actor.stop();
    actor = await startActor();
    await client.pause('paused-1', { by: 'test:ann', reason: 'again' });
    await inboxTaken('paused-1');
    expect(await settled('paused-1')).toHaveLength(whilePaused.length);
    expect((await client.sessions()).find((entry) => entry.sessionId === 'paused-1')).toMatchObject({ status: 'paused' });

    await client.resume('paused-1', { by: 'test:bob' });
    const events = await succeededSession(client, 'paused-1', 10_000);
    expect(typesOf(events.slice(whilePaused.length))).toEqual([
      'session.resumed',
      'model.requested',
      'model.responded',
      'tool.requested',
      'permission.granted',
      'tool.completed',
      'model.requested',
      'model.responded',
      'session.completed',
    ]);
    expect(events[whilePaused.length]).toMatchObject({ data: { by: 'test:bob' } });
    expect(events.at(-1)).toMatchObject({ data: { output: 'done after the gate' } });
    expect(await client.check('paused-1')).toMatchObject({ ok: true });
  });

  it('pauses a session that spends its step budget, and a resume with more steps finishes it', async () => {
    await client.submit('scribe', { input: 'Note: remember the milk', sessionId: 'budget-1', budget: { maxSteps: 1 } });
    const paused = await eventsUntil(client, 'budget-1', last('session.paused'));
    expect(paused.slice(-2)).toMatchObject([{ type: 'budget.exceeded', data: { limit: 'maxSteps', used: 1 } }, { type: 'session.paused', data: { fromBudget: true } }]);
    expect(await settled('budget-1')).toHaveLength(paused.length);

    await client.resume('budget-1', { by: 'test', maxSteps: 3 });
    const events = await succeededSession(client, 'budget-1', 10_000);
    expect(events[paused.length]).toMatchObject({ type: 'session.resumed', data: { budget: { maxSteps: 3 } } });
    expect(events.at(-1)).toMatchObject({ data: { totals: { steps: 3 } } });
    expect(await client.check('budget-1')).toMatchObject({ ok: true });
  });

  it("takes a pause and a resume on the session's inbox too, where plain NATS clients sent them before `.messages`", async () => {
    await client.submit('gated', { input: 'wait at the gate', sessionId: 'older-subject-1' });
    await eventsUntil(client, 'older-subject-1', last('tool.requested'));
    const inbox = names.subjects.inbox('older-subject-1');
    await jetstream(nc).publish(inbox, encode({ type: 'pause', sessionId: 'older-subject-1', by: 'pager', reason: 'incident 4411' }), { msgID: 'pause/older-subject-1/4411' });
    await eventsUntil(client, 'older-subject-1', (events) => events.some((event) => event.type === 'session.paused'));
    await jetstream(nc).publish(inbox, encode({ type: 'resume', sessionId: 'older-subject-1', by: 'pager' }), { msgID: 'resume/older-subject-1/4411' });
    const events = await eventsUntil(client, 'older-subject-1', (seen) => seen.some((event) => event.type === 'session.resumed'));
    expect(events.filter((event) => event.type === 'session.paused' || event.type === 'session.resumed').map((event) => [event.type, event.data.by])).toEqual([
      ['session.paused', 'pager'],
      ['session.resumed', 'pager'],
    ]);
    openGate();
    await succeededSession(client, 'older-subject-1', 10_000);
  });

  it('does nothing to a session that is not paused when asked to resume', async () => {
    await client.submit('scribe', { input: 'Note: x', sessionId: 'done-1' });
    const done = await succeededSession(client, 'done-1', 10_000);
    await client.resume('done-1', { by: 'test' });
    await client.pause('done-1', { by: 'test' });
    expect(await settled('done-1')).toHaveLength(done.length);
  });
});

describe('hostile session commands', () => {
  /** Publishes raw bytes to a session's inbox, as any NATS client can, past the SDK's checks. */
  async function publishRaw(sessionId: string, command: unknown): Promise<void> {
    await jetstream(nc).publish(names.subjects.inbox(sessionId), encode(command));
  }

  /** Why the actor refused `command`: the reason its dead letter carries (waiting for it a while). */
  async function refusal(command: unknown): Promise<string> {
    const bytes = Buffer.from(encode(command));
    for (let tries = 0; tries < 50; tries++) {
      const found = (await client.deadLetters(50)).find((letter) => bytes.equals(Buffer.from(letter.data)));
      if (found) return found.reason;
      await sleep(100);
    }
    throw new Error(`no dead letter holds ${JSON.stringify(command).slice(0, 100)}`);
  }

  it('refuses each bad command with a dead letter that says why, and leaves the session as it was', async () => {
    await client.submit('gated', { input: 'wait at the gate', sessionId: 'target-1' });
    await eventsUntil(client, 'target-1', last('tool.requested'));
    await client.pause('target-1', { by: 'test' });
    const before = await eventsUntil(client, 'target-1', last('session.paused'));

    const bad = {
      oversize: { type: 'pause', sessionId: 'target-1', by: 'x', reason: 'y'.repeat(5_000) },
      unknown: { type: 'reboot', sessionId: 'target-1' },
      negative: { type: 'resume', sessionId: 'target-1', by: 'x', budget: { maxSteps: -5 } },
      badId: { type: 'pause', sessionId: 'not a session', by: 'x' },
      forgedChild: { type: 'child.result', sessionId: 'target-1', callId: 'c1', childSessionId: 'child-1', status: 'succeeded' },
      offSubject: { type: 'user.message', sessionId: 'target-1', by: 'x', text: 'one more thing' },
    };
    for (const command of Object.values(bad)) await publishRaw('target-1', command);
    const ghost = { type: 'pause', sessionId: 'ghost-1', by: 'x' };
    await publishRaw('ghost-1', ghost);
    // NATS permissions are per subject: a command names the session of the inbox it is published on.
    const elsewhere = { type: 'resume', sessionId: 'target-1', by: 'someone allowed only on other-1' };
    await publishRaw('other-1', elsewhere);

    expect(await refusal(bad.oversize)).toBe('cannot decode inbox command: reason: Too big: expected string to have <=2000 characters');
    expect(await refusal(bad.unknown)).toMatch(/^cannot decode inbox command: type: Invalid discriminator value/);
    expect(await refusal(bad.negative)).toBe('cannot decode inbox command: budget.maxSteps: Too small: expected number to be >0');
    expect(await refusal(bad.badId)).toMatch(/a session id may hold only letters/);
    // Only session actors may publish a child's result, on the session's subagents subject: one on its inbox is forged.
    expect(await refusal(bad.forgedChild)).toBe('a child.result is taken only on sbx.inbox.target-1.subagents, not on sbx.inbox.target-1 (session target-1 is unchanged)');
    // A tool executor may write to the shared inbox, so a conversation's commands are taken only from their own subject.
    expect(await refusal(bad.offSubject)).toBe('a message is taken only on sbx.inbox.target-1.messages, not on sbx.inbox.target-1 (session target-1 is unchanged)');
    expect(await refusal(ghost)).toBe('cannot pause session ghost-1: it does not exist');
    expect(await refusal(elsewhere)).toBe('a command for session target-1 came on the inbox of other-1');

    // The session was neither failed nor moved by any of them; a resume still works.
    expect(await client.events('target-1')).toHaveLength(before.length);
    expect(await client.events('ghost-1')).toEqual([]);
    await client.resume('target-1', { by: 'test' });
    openGate();
    await succeededSession(client, 'target-1', 10_000);
  });

  it('still fails the session of a malformed tool result, which it would otherwise wait for forever', async () => {
    await client.submit('gated', { input: 'wait at the gate', sessionId: 'target-2' });
    await eventsUntil(client, 'target-2', last('tool.requested'));
    const broken = { type: 'tool.result', sessionId: 'target-2', callId: 'call_1' };
    await publishRaw('target-2', broken);
    expect(await refusal(broken)).toMatch(/^cannot decode inbox command: tool: /);
    const events = await eventsUntil(client, 'target-2', last('session.completed'));
    expect(events.at(-1)).toMatchObject({ data: { status: 'failed', reason: expect.stringMatching(/^a command could not be applied: cannot decode inbox command/) } });
    openGate();
  });

  it('refuses in the SDK what the actor would refuse, before sending', async () => {
    await expect(client.pause('ghost-2', { by: 'test' })).rejects.toBeInstanceOf(UnknownSessionError);
    await expect(client.pause('bad id', { by: 'test' })).rejects.toMatchObject({ code: 'invalid_command' });
    await expect(client.resume('target-1', { by: 'test', maxSteps: -1 })).rejects.toThrow(/maxSteps/);
  });
});
