import { jetstreamManager } from '@nats-io/jetstream';
import type { Subscription } from '@nats-io/nats-core';
import { doctor } from '@signalbox/cli';
import { decodeEventMessage, LiveMessage, naming, type SessionEvent } from '@signalbox/events';
import { createProviderRegistry, providerConfigFromEnv } from '@signalbox/models';
import { modelResolver } from '@signalbox/session-actor';
import { anthropicText, anthropicToolUse, startFakeAnthropic, type FakeAnthropic } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * Live output through the real actor: a model on Anthropic's wire (streamed by the real SDK from a
 * local server) sends its text on `sbx.live.<sessionId>`, which a plain core NATS subscriber reads as
 * JSON, no stream keeps, and no `sbx.events.>` subscriber hears; the log is what it is without a listener.
 */
const names = naming('sbx');
const answer = 'Saved a.md, which now holds the word hi, as you asked me to.';
const replies = () => [anthropicToolUse([{ id: 'toolu_1', name: 'workspace__write', input: { path: 'a.md', content: 'hi' } }], { text: 'Writing it.' }), anthropicText(answer)];

let anthropic: FakeAnthropic;
let runtime: TestRuntime;

beforeAll(async () => {
  anthropic = await startFakeAnthropic();
  const env = { ANTHROPIC_API_KEY: 'sk-ant-live-test', ANTHROPIC_BASE_URL: anthropic.baseURL };
  runtime = await startTestRuntime({
    // One instant for every event: two runs' logs can then be compared whole.
    actor: { resolveModel: modelResolver(createProviderRegistry(providerConfigFromEnv(env))), clock: () => 1_700_000_000_000 },
    agents: [{ name: 'claude', model: 'anthropic/claude-sonnet-4-6', system: 'You keep notes.', tools: ['workspace.write'], budget: { maxSteps: 5 } }],
  });
});
afterAll(async () => {
  await runtime.dispose();
  await anthropic.close();
});

/** The live messages of `calls` model calls, in the order they came, read as any console would: JSON, checked. */
async function liveMessages(subscription: Subscription, calls: number): Promise<LiveMessage[]> {
  const messages: LiveMessage[] = [];
  for await (const message of subscription) {
    expect(message.subject).toBe(subscription.getSubject());
    const live = LiveMessage.parse(JSON.parse(new TextDecoder().decode(message.data)));
    messages.push(live);
    if (messages.filter((each) => 'done' in each).length === calls) break;
  }
  return messages;
}

/**
 * A log with what differs between two runs by design put aside: ids, the session id, and what the tool
 * executor measured (its own clock's duration, the shared workspace stream's revision).
 */
function comparable(events: readonly SessionEvent[], sessionId: string): unknown[] {
  return events.map(({ id: _id, causationId: _causation, correlationId: _correlation, sessionId: _session, ...event }) => {
    // A write's revision (in its output too) is the workspace stream's sequence, and the model request after it names it.
    const data = event.type === 'tool.completed' ? { ...event.data, durationMs: 0, workspaceRevision: 0 } : event.type === 'model.requested' ? { ...event.data, digest: '' } : event.data;
    return JSON.parse(JSON.stringify({ ...event, data }).replaceAll(sessionId, '<session>').replace(/revision \d+/g, 'revision <n>')) as unknown;
  });
}

describe('live output', () => {
  it("sends a session's model text on its live subject, in order, to a plain subscriber; events subscribers never see it; the log is unchanged", async () => {
    const live = runtime.nc.subscribe(names.subjects.live('live-1'));
    const eventsHeard: { subject: string; data: Uint8Array }[] = [];
    const everyEvent = runtime.nc.subscribe(names.subjects.allEvents, { callback: (_error, message) => void eventsHeard.push({ subject: message.subject, data: message.data }) });
    await runtime.nc.flush();

    anthropic.reply(...replies());
    await runtime.client.submit('claude', { input: 'save hi', sessionId: 'live-1' });
    const watched = await runtime.completedSession('live-1');
    const messages = await liveMessages(live, 2);

    // Each call's pieces count from 0 and join to the text its reply recorded.
    const replied = watched.filter((event): event is Extract<SessionEvent, { type: 'model.responded' }> => event.type === 'model.responded');
    expect(replied).toHaveLength(2);
    for (const event of replied) {
      const ofCall = messages.filter((message) => message.callId === event.data.callId);
      expect(ofCall.map((message) => message.seq)).toEqual(ofCall.map((_message, index) => index));
      expect(ofCall.at(-1)).toMatchObject({ done: true, failed: false, attempt: 1 });
      const text = event.data.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
      expect(ofCall.flatMap((message) => ('text' in message ? [message.text] : [])).join('')).toBe(text);
    }
    expect(messages.flatMap((message) => ('text' in message ? [message.text] : [])).join('')).toBe(`Writing it.${answer}`);
    // The provider was asked to stream.
    expect(anthropic.requests.map((request) => (request.body as { stream?: unknown }).stream)).toEqual([true, true]);

    // What `sbx.events.>` heard were the log's messages (events, msgpack), none a live message.
    await runtime.nc.flush();
    everyEvent.unsubscribe();
    expect(eventsHeard.length).toBeGreaterThan(0);
    for (const heard of eventsHeard) {
      expect(heard.subject).toBe(names.subjects.events('live-1'));
      expect(decodeEventMessage(heard.data).length).toBeGreaterThan(0);
    }
    // No stream captures the live subject (every stream's subjects, buckets and object stores too).
    await expect((await jetstreamManager(runtime.nc)).streams.find(names.subjects.live('live-1'))).rejects.toThrow(/no stream matches subject/);

    // A second run without anyone listening records the same log.
    live.unsubscribe();
    anthropic.reply(...replies());
    await runtime.client.submit('claude', { input: 'save hi', sessionId: 'live-2' });
    const unwatched = await runtime.completedSession('live-2');
    expect(comparable(unwatched, 'live-2')).toEqual(comparable(watched, 'live-1'));
  });

  it('ignores what is not a live message on the live subject, for the SDK that follows it', async () => {
    const controller = new AbortController();
    const heard: LiveMessage[] = [];
    const following = (async () => {
      for await (const message of runtime.client.live('live-3', controller.signal)) {
        heard.push(message);
        if ('done' in message) controller.abort();
      }
    })();
    await runtime.nc.flush();
    // Anyone allowed on the subject could send anything there.
    runtime.nc.publish(names.subjects.live('live-3'), '{not json');
    runtime.nc.publish(names.subjects.live('live-3'), JSON.stringify({ callId: 'x', seq: -1, text: 'forged' }));
    runtime.nc.publish(names.subjects.live('live-3'), JSON.stringify({ callId: 'm1', attempt: 1, seq: 0, text: 'real' }));
    runtime.nc.publish(names.subjects.live('live-3'), JSON.stringify({ callId: 'm1', attempt: 1, seq: 1, done: true, failed: false }));
    await following;
    expect(heard).toEqual([
      { callId: 'm1', attempt: 1, seq: 0, text: 'real' },
      { callId: 'm1', attempt: 1, seq: 1, done: true, failed: false },
    ]);
    expect(() => runtime.client.live('a.*').next()).toThrow();
  });

  it('has doctor warn of a stream that would keep the live text, and say nothing without one', async () => {
    const says = async () => {
      const lines: string[] = [];
      await doctor({ nats: runtime.server.url, prefix: 'sbx' }, { monitor: 'http://127.0.0.1:1' }, { write: (line) => lines.push(line), colour: false });
      return lines.join('\n');
    };
    expect(await says()).not.toMatch(/live/);
    const jsm = await jetstreamManager(runtime.nc);
    await jsm.streams.add({ name: 'KEEPS_EVERYTHING', subjects: ['sbx.live.>'] });
    try {
      expect(await says()).toMatch(/The stream KEEPS_EVERYTHING takes sbx\.live\.\*/);
    } finally {
      await jsm.streams.delete('KEEPS_EVERYTHING');
    }
  });

  it('asks no model to stream when live output is off (SIGNALBOX_LIVE_OUTPUT=false), and records the same log', async () => {
    const env = { ANTHROPIC_API_KEY: 'sk-ant-live-test', ANTHROPIC_BASE_URL: anthropic.baseURL };
    const quiet = await startTestRuntime({
      actor: { resolveModel: modelResolver(createProviderRegistry(providerConfigFromEnv(env))), clock: () => 1_700_000_000_000, liveOutput: false },
      agents: [{ name: 'claude', model: 'anthropic/claude-sonnet-4-6', system: 'You keep notes.', tools: ['workspace.write'], budget: { maxSteps: 5 } }],
    });
    try {
      const before = anthropic.requests.length;
      anthropic.reply(...replies());
      await quiet.client.submit('claude', { input: 'save hi', sessionId: 'live-2' });
      const unstreamed = await quiet.completedSession('live-2');
      expect(anthropic.requests.slice(before).map((request) => (request.body as { stream?: unknown }).stream)).toEqual([undefined, undefined]);
      expect(comparable(unstreamed, 'live-2')).toEqual(comparable(await runtime.client.events('live-1'), 'live-1'));
    } finally {
      await quiet.dispose();
    }
  });
});
