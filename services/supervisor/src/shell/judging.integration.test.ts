import { setTimeout as sleep } from 'node:timers/promises';
import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { decode, eventVersion, InboxCommand, naming, type AgentDefinition, type ModelResponse, type SessionEvent } from '@signalbox/events';
import type { CallOptions, ModelProvider } from '@signalbox/models';
import { createLogger, type ServiceContext } from '@signalbox/runtime';
import { provision } from '@signalbox/store';
import { judgePlanOf, type JudgeCall } from '@signalbox/supervision';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startJudging, type JudgingDeps } from './judging.ts';

/** The judge's calls against a real nats-server: how many run at once, and what a stuck call costs the others. */
const names = naming('sbx');
const agent: AgentDefinition = { name: 'a', model: 'scripted', system: '', tools: [], budget: { maxSteps: 10 }, maxTokens: 1024, subagents: [], script: [{ final: 'done' }] };
const plan = judgePlanOf({ judge: { model: 'judges/strict' } });
const call = (upTo: number): JudgeCall => ({ plan: plan as NonNullable<typeof plan>, upTo, trigger: { kind: 'steps' } });
const verdict: ModelResponse = { model: 'j', content: [{ type: 'text', text: '{"onTrack": true, "reason": "fine"}' }], stopReason: 'end_turn', usage: { inputTokens: 10, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 } };

/** A log of one event, `session.created`, for any session asked about. */
const store = {
  read: async (sessionId: string): Promise<SessionEvent[]> => [
    { type: 'session.created', data: { agent, input: 'go', tools: [], budget: agent.budget, deciderVersion: 7 }, id: 'e1', v: eventVersion('session.created'), sessionId, n: 1, at: 0, causationId: null, correlationId: sessionId, by: { service: 't', instance: 't' } },
  ],
} as unknown as ServiceContext['store'];

let server: NatsServer;
let nc: NatsConnection;
const sent: InboxCommand[] = [];
/** The `traceparent` each command came with, by its session and judged point. */
const carried = new Map<string, string | undefined>();

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  await provision(nc, names);
  const subscription = nc.subscribe(names.subjects.interventions('*'));
  void (async () => {
    for await (const message of subscription) {
      const command = decode(InboxCommand, message.data, 'command');
      sent.push(command);
      if (command.type === 'judgement') carried.set(`${command.sessionId}@${command.upTo}`, message.headers?.get('traceparent') || undefined);
    }
  })();
});
afterAll(async () => {
  await nc?.close();
  await server?.dispose();
});

/** A judge whose every answer waits for the test: `answer()` lets the oldest go. */
function heldJudge() {
  const waiting: (() => void)[] = [];
  const provider = { name: 'held', complete: () => new Promise<ModelResponse>((resolve) => waiting.push(() => resolve(verdict))) };
  return { waiting, answer: () => waiting.shift()?.(), provider };
}

function deps(provider: ModelProvider, overrides: Partial<JudgingDeps> = {}): JudgingDeps {
  const logger = createLogger({ service: 'supervisor', instance: 'test', level: 'silent' });
  return { nc, names, store, logger, models: () => ({ provider, name: 'strict', costOf: () => 0.01 }), concurrency: 1, deadlineMs: 10_000, maxWaiting: 1, ...overrides };
}

const judgedSessions = () => sent.flatMap((command) => (command.type === 'judgement' ? [`${command.sessionId}@${command.upTo}`] : []));

describe('the judge’s model calls', () => {
  it('runs at most `concurrency` at once, one per session, and drops what would wait past `maxWaiting` until its next trigger', async () => {
    const judge = heldJudge();
    const judging = startJudging(deps(judge.provider));
    judging.request('s1', call(5));
    judging.request('s2', call(5));
    judging.request('s3', call(5)); // the one waiting place is s2's
    judging.request('s1', call(9)); // s1 is being judged already
    await vi.waitFor(() => expect(judge.waiting).toHaveLength(1), { timeout: 15_000 });
    judge.answer();
    await vi.waitFor(() => expect(judge.waiting).toHaveLength(1), { timeout: 15_000 });
    judge.answer();
    await vi.waitFor(() => expect(judgedSessions()).toEqual(['s1@5', 's2@5']), { timeout: 15_000 });
    await judging.stop();
  });

  it('gives a call up at its deadline, even one deaf to its signal, so the next session is judged', async () => {
    const deaf = { name: 'deaf', complete: () => new Promise<ModelResponse>(() => undefined) };
    let calls = 0;
    const judging = startJudging(deps({ name: 'first-deaf', complete: () => (++calls === 1 ? deaf.complete() : Promise.resolve(verdict)) }, { deadlineMs: 300 }));
    judging.request('stuck', call(4));
    judging.request('next', call(4));
    await vi.waitFor(() => expect(judgedSessions()).toContain('next@4'), { timeout: 3_000 });
    expect(judgedSessions()).not.toContain('stuck@4');
    await judging.stop();
  });

  it('stops judging a session after maxCalls failed calls, until it is forgotten', async () => {
    let calls = 0;
    const failing = { name: 'failing', complete: () => (calls++, Promise.reject(new Error('overloaded'))) };
    const judging = startJudging(deps(failing));
    const capped = { ...call(3), plan: { ...call(3).plan, maxCalls: 2 } };
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      judging.request('failing', capped);
      await vi.waitFor(() => expect(calls).toBe(attempt), { timeout: 15_000 });
    }
    // The second failure counted (its call's slot let go), a third request is not made.
    await sleep(100);
    judging.request('failing', capped);
    await sleep(100);
    expect(calls).toBe(2);
    judging.forget('failing');
    judging.request('failing', capped);
    await vi.waitFor(() => expect(calls).toBe(3), { timeout: 15_000 });
    await judging.stop();
  });

  it('stops without waiting for a call in flight to answer', async () => {
    const judge = heldJudge();
    const judging = startJudging(deps(judge.provider));
    judging.request('slow', call(3));
    await vi.waitFor(() => expect(judge.waiting).toHaveLength(1), { timeout: 15_000 });
    await judging.stop();
    judging.request('late', call(3));
    expect(judge.waiting).toHaveLength(1);
    expect(judgedSessions()).not.toContain('slow@3');
  });
});

describe('the judge’s traces', () => {
  it("puts a judgement in the session's trace, under the span of the last event it judged, with the model call under it carrying its own span", async () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const exporter = new InMemorySpanExporter();
    const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }).getTracer('test');
    const lastEvent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const traced = {
      read: async (sessionId: string) => (await store.read(sessionId)).map((event) => ({ ...event, traceparent: lastEvent })),
    } as unknown as ServiceContext['store'];
    const seen: (string | undefined)[] = [];
    const provider: ModelProvider = {
      name: 'judges',
      complete: async (_request, options?: CallOptions) => {
        seen.push(options?.traceparent);
        return verdict;
      },
    };
    const judging = startJudging({ ...deps(provider), store: traced, tracing: { tracer, exportsTo: 'memory', shutdown: async () => undefined } });
    judging.request('traced', call(1));
    await vi.waitFor(() => expect(judgedSessions()).toContain('traced@1'), { timeout: 15_000 });
    await judging.stop();
    const judgeSpan = exporter.getFinishedSpans().find((span) => span.name === 'judge_session');
    const chat = exporter.getFinishedSpans().find((span) => span.name === 'chat strict');
    expect(judgeSpan?.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(judgeSpan?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(judgeSpan?.attributes).toMatchObject({ 'signalbox.session.id': 'traced', 'signalbox.judge.up_to': 1, 'signalbox.judge.verdict': expect.any(String) });
    expect(chat?.parentSpanContext?.spanId).toBe(judgeSpan?.spanContext().spanId);
    expect(seen).toEqual([`00-4bf92f3577b34da6a3ce929d0e0e4736-${chat?.spanContext().spanId}-01`]);
    // The verdict sent to the session carries the judgement's span, and an untraced one carries none.
    expect(carried.get('traced@1')).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${judgeSpan?.spanContext().spanId}-01`);
    expect([...carried].filter(([key]) => key !== 'traced@1').every(([, traceparent]) => traceparent === undefined)).toBe(true);
  });
});
