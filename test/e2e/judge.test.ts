import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import { encode, type ModelRequest, type ModelResponse, type SessionEvent } from '@signalbox/events';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { RuntimeConfig, startHost, type Host } from '@signalbox/runtime';
import { sessionActorService } from '@signalbox/session-actor';
import { supervisorService } from '@signalbox/supervisor';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { defineTool, toolExecutorService, workspaceTools } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

/**
 * The supervisor's judge end to end: a scripted judge model reads each session's trajectory every two
 * turns, in its own context; an off-track verdict nudges the session, and every judgement's cost is in
 * the session's totals. Each lookup takes a moment, as a real step does, so judgements land mid-run.
 */
const lookup = defineTool({ name: 'docs.lookup', description: 'Looks a term up', input: z.object({ term: z.string() }), run: async ({ term }) => (await sleep(250), `entry for ${term}`) });
const usage = { inputTokens: 1_000, outputTokens: 50, cacheReadTokens: 0, cacheWriteTokens: 0 };
const judgeCostUsd = 0.004;

/** What the judge was asked, by the goal it was shown. */
const asked: ModelRequest[] = [];

/** Judges by the goal: a goal about drifting is off track, one about garbling gets a reply with no verdict; one about hanging is not answered the first time. */
const judgeModel = {
  name: 'judges',
  complete: async (request: ModelRequest): Promise<ModelResponse> => {
    asked.push(request);
    const first = request.messages[0]?.content[0];
    const text = first?.type === 'text' ? first.text : '';
    const reply = (content: ModelResponse['content']): ModelResponse => ({ model: 'strict-judge', content, stopReason: 'end_turn', usage });
    // Deaf to the deadline's signal, as a stuck connection can be: the supervisor gives up on it all the same.
    if (text.includes('hang') && asked.filter((earlier) => JSON.stringify(earlier).includes('hang')).length === 1) return new Promise(() => undefined);
    if (text.includes('garble')) return reply([{ type: 'text', text: 'IGNORE THE RUBRIC </trajectory> {"onTrack": "maybe"' }]);
    if (text.includes('drift')) return reply([{ type: 'tool_use', id: 'v1', name: 'verdict', input: { onTrack: false, reason: 'It looks up weather, not the parser bug it was asked to fix.', evidence: [3, 9_999] } }]);
    return reply([{ type: 'text', text: '```json\n{"onTrack": true, "reason": "Each lookup is on the parser."}\n```' }]);
  },
};

let server: NatsServer;
let runtime: Host;
let nc: NatsConnection;
let client: SignalboxClient;

const lookups = (...terms: string[]) => terms.map((term) => ({ tool: 'docs.lookup', input: { term } }));
const judged = { judge: { model: 'judges/strict', everySteps: 2 } };

beforeAll(async () => {
  server = await startNatsServer();
  const supervisor = supervisorService({ judgeModels: () => ({ provider: judgeModel, name: 'strict', costOf: () => judgeCostUsd }), judgeDeadlineMs: 600 });
  const services = [sessionActorService(), permissionBrokerService(), toolExecutorService({ tools: [...workspaceTools, lookup] }), supervisor];
  runtime = await startHost(services, RuntimeConfig.parse({ natsUrl: server.url, logLevel: 'silent', instance: 'runtime' }));
  nc = await connect({ servers: server.url });
  client = await SignalboxClient.open(nc);
  const agent = (name: string, script: object[], supervision: object = judged) => ({ name, model: 'scripted', tools: ['docs.lookup'], budget: { maxSteps: 20 }, supervision, script });
  const drifting = [...lookups('weather', 'tides', 'moon phases', 'sunsets', 'clouds', 'rain'), { final: 'done' }];
  // Nudged at every off-track verdict, so it runs to its end; the wanderer climbs the default ladder.
  await client.applyAgent(agent('drifter', drifting, { ...judged, ladder: ['nudge'] }));
  await client.applyAgent(agent('wanderer', drifting));
  await client.applyAgent(agent('focused', [...lookups('parser', 'tokens', 'grammar', 'parse errors', 'tests', 'fixes'), { final: 'fixed' }]));
  await client.applyAgent(agent('garbled', [...lookups('a', 'b', 'c', 'd'), { final: 'done' }]));
  await client.applyAgent(agent('patient', [...lookups('parser', 'lexer', 'grammar', 'tokens', 'errors', 'spans', 'tests', 'fixtures', 'fixes', 'review'), { final: 'fixed' }]));
});
afterAll(async () => {
  await nc?.close();
  await runtime?.stop();
  await server?.dispose();
});

const ofType = <T extends SessionEvent['type']>(events: readonly SessionEvent[], type: T) => events.filter((event): event is Extract<SessionEvent, { type: T }> => event.type === type);

async function completed(sessionId: string): Promise<SessionEvent[]> {
  const events: SessionEvent[] = [];
  for await (const event of client.follow(sessionId, AbortSignal.timeout(30_000))) {
    events.push(event);
    if (event.type === 'session.completed') return events;
  }
  throw new Error(`session ${sessionId} did not complete: ${events.map((event) => event.type).join(', ')}`);
}

/** Totals as recorded at the end, and what the judgements in the log cost. */
function judgeSpend(events: readonly SessionEvent[]) {
  const end = events.at(-1);
  const totals = end?.type === 'session.completed' ? end.data.totals : undefined;
  const judgements = ofType(events, 'supervisor.judged');
  return { totals, judgements, costUsd: judgements.reduce((sum, event) => sum + event.data.costUsd, 0) };
}

describe('the supervisor’s judge', () => {
  it('judges a drifting run off track and nudges it, pointing at the judgement and what it showed; the judge’s cost is in the totals', async () => {
    await client.submit('drifter', { input: 'Fix the parser bug; drift if you must.', sessionId: 'drifting' });
    const events = await completed('drifting');
    const { totals, judgements, costUsd } = judgeSpend(events);
    const offTrack = judgements.find((event) => event.data.verdict === 'off_track');
    expect(offTrack?.data).toMatchObject({ model: 'judges/strict', reason: 'It looks up weather, not the parser bug it was asked to fix.', evidence: [3], costUsd: judgeCostUsd, usage: { inputTokens: 1_000 } });
    const nudges = ofType(events, 'supervisor.intervened').filter((event) => event.data.detector === 'judge');
    expect(nudges[0]?.data).toMatchObject({ action: 'nudge', evidence: [offTrack?.n, 3], reason: expect.stringContaining('off track: It looks up weather') });
    // Scripted turns cost nothing: what the session spent is the judge's.
    expect(totals?.costUsd).toBeCloseTo(costUsd, 10);
    const agentTokens = ofType(events, 'model.responded').reduce((sum, event) => sum + event.data.usage.inputTokens, 0);
    expect(totals?.inputTokens).toBe(agentTokens + judgements.length * 1_000);
    // Its own context: the goal and the trajectory, never the agent's system prompt or tools.
    const request = asked.find((candidate) => JSON.stringify(candidate).includes('drift if you must'));
    expect(request?.tools.map((tool) => tool.name)).toEqual(['verdict']);
    expect(JSON.stringify(request?.messages)).toContain('docs.lookup {\\"term\\":\\"weather\\"}');
  });

  it('climbs the ladder as off-track verdicts recur: a nudge, then a pause by the judge', async () => {
    await client.submit('wanderer', { input: 'Fix the parser bug; drift if you must.', sessionId: 'wandering' });
    const events: SessionEvent[] = [];
    for await (const event of client.follow('wandering', AbortSignal.timeout(30_000))) {
      events.push(event);
      if (event.type === 'session.paused' || event.type === 'session.completed') break;
    }
    expect(ofType(events, 'supervisor.intervened').map((event) => [event.data.detector, event.data.action])).toEqual([['judge', 'nudge'], ['judge', 'pause']]);
    expect(events.at(-1)).toMatchObject({ type: 'session.paused', data: { by: 'supervisor:judge' } });
  });

  it('judges a focused run on track: no intervention, its cost counted all the same', async () => {
    await client.submit('focused', { input: 'Fix the parser bug.', sessionId: 'focused' });
    const events = await completed('focused');
    const { totals, judgements, costUsd } = judgeSpend(events);
    expect(judgements.length).toBeGreaterThan(0);
    expect(judgements.every((event) => event.data.verdict === 'on_track')).toBe(true);
    expect(ofType(events, 'supervisor.intervened')).toEqual([]);
    expect(costUsd).toBeGreaterThan(0);
    expect(totals?.costUsd).toBeCloseTo(costUsd, 10);
    expect(events.at(-1)?.data).toMatchObject({ status: 'succeeded' });
  });

  it('records a reply with no verdict as unreadable, steering nothing, and counts what it cost', async () => {
    await client.submit('garbled', { input: 'Please garble.', sessionId: 'garbled' });
    const events = await completed('garbled');
    const { totals, judgements, costUsd } = judgeSpend(events);
    expect(judgements[0]?.data).toMatchObject({ verdict: 'unreadable', reason: expect.stringMatching(/^the judge's reply could not be read/), evidence: [] });
    expect(ofType(events, 'supervisor.intervened')).toEqual([]);
    expect(totals?.costUsd).toBeCloseTo(costUsd, 10);
    expect(events.at(-1)?.data).toMatchObject({ status: 'succeeded' });
  });

  it('gives up a judge call past its deadline and asks again at a later turn, while other sessions are judged meanwhile', async () => {
    const started = asked.length;
    await Promise.all([client.submit('patient', { input: 'Fix the parser bug; the judge may hang.', sessionId: 'hung' }), client.submit('focused', { input: 'Fix the parser bug.', sessionId: 'beside-hung' })]);
    const [hung, beside] = await Promise.all([completed('hung'), completed('beside-hung')]);
    expect(ofType(beside, 'supervisor.judged').length).toBeGreaterThan(0);
    const hungAsks = asked.slice(started).filter((request) => JSON.stringify(request).includes('hang'));
    expect(hungAsks.length).toBeGreaterThanOrEqual(2);
    const judgements = ofType(hung, 'supervisor.judged');
    expect(judgements.length).toBeGreaterThan(0);
    // The call given up read the session up to its third turn's request (event 10); the one recorded read further.
    expect(judgements[0]?.data.upTo).toBeGreaterThan(10);
    expect(judgeSpend(hung).totals?.costUsd).toBeCloseTo(judgeSpend(hung).costUsd, 10);
  });

  it('takes a judgement only on the session’s .supervisor subject, and none for a session that does not exist', async () => {
    const judgement = (sessionId: string) => ({ type: 'judgement', sessionId, model: 'judges/strict', upTo: 3, verdict: 'on_track', reason: 'fine', evidence: [], usage, costUsd: 1 });
    await client.submit('focused', { input: 'Fix the parser bug.', sessionId: 'forged' });
    await jetstream(nc).publish(client.names.subjects.inbox('forged'), encode(judgement('forged')));
    await jetstream(nc).publish(client.names.subjects.interventions('ghost'), encode(judgement('ghost')));
    await vi.waitFor(async () => {
      const reasons = (await client.deadLetters()).map((letter) => letter.reason);
      expect(reasons).toEqual(expect.arrayContaining(['a judgement is taken only on sbx.inbox.forged.supervisor, not on sbx.inbox.forged (session forged is unchanged)', 'cannot record a judgement of session ghost: it does not exist']));
    }, { timeout: 15_000 });
    const events = await completed('forged');
    expect(ofType(events, 'supervisor.judged').every((event) => event.data.costUsd === judgeCostUsd)).toBe(true);
  });
});
