import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from '@nats-io/transport-node';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import { SignalboxClient } from '@signalbox/client';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { RuntimeConfig, startHost, type Host } from '@signalbox/runtime';
import { decode, PermissionReply, type ModelRequest, type ModelResponse, type SessionEvent } from '@signalbox/events';
import { graderService } from '@signalbox/grader';
import { createProviderRegistry, providerConfigFromEnv, type CallOptions } from '@signalbox/models';
import { modelResolver, sessionActorService } from '@signalbox/session-actor';
import { supervisorService } from '@signalbox/supervisor';
import { anthropicText, startFakeAnthropic, startNatsServer, type NatsServer } from '@signalbox/testing';
import { httpFetchTool, toolExecutorService, workspaceTools } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completedSession, eventsUntil, succeededSession } from '../support/runtime.ts';

const spanIdOf = (traceparent: string | undefined) => traceparent?.split('-')[2];

/**
 * Traces: with OTEL_EXPORTER_OTLP_ENDPOINT set, the actor and the executor (here in hosts of their own)
 * export a turn's spans by OTLP/HTTP JSON to a receiver on loopback, and http.fetch carries the trace.
 */
interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
  /** OTLP's status code: 2 is an error. */
  status: number;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: OtlpAttribute[]; links?: { traceId: string; spanId: string }[]; status?: { code?: number } }[];
    }[];
  }[];
}

function valueOf(value: OtlpValue): unknown {
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(valueOf);
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.stringValue ?? value.doubleValue ?? value.boolValue;
}

function attributesOf(attributes: OtlpAttribute[] = []): Record<string, unknown> {
  return Object.fromEntries(attributes.map(({ key, value }) => [key, valueOf(value)]));
}

/** A local OTLP/HTTP receiver: the spans of every JSON export posted to /v1/traces. */
async function startReceiver(): Promise<{ server: Server; url: string; spans: ReceivedSpan[] }> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((request, response) => {
    void bodyOf(request).then((body) => {
      if (request.method !== 'POST' || request.url !== '/v1/traces' || !String(request.headers['content-type']).includes('json')) {
        response.writeHead(404).end();
        return;
      }
      for (const resourceSpans of (JSON.parse(body) as OtlpExport).resourceSpans ?? []) {
        const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name']);
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            const status = span.status?.code ?? 0;
            spans.push({ service, traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId ?? '', name: span.name, attributes: attributesOf(span.attributes), links: span.links ?? [], status });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans };
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

let server: NatsServer;
let nc: NatsConnection;
let client: SignalboxClient;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let upstream: Server;
let upstreamUrl: string;
const traceparentsSeen: string[] = [];

const config = (instance: string, tracing: Record<string, string>) => RuntimeConfig.parse({ natsUrl: server.url, logLevel: 'silent', instance, tracing });
const fetchTool = httpFetchTool({ allowPrivate: ({ address }) => address === '127.0.0.1' });

beforeAll(async () => {
  receiver = await startReceiver();
  upstream = createServer((request, response) => {
    traceparentsSeen.push(String(request.headers.traceparent));
    response.end('ok');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/status`;
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  client = await SignalboxClient.open(nc);
  // A host with no services provisions the streams and buckets, so the agent can be applied before the traced hosts start.
  await (await startHost([], config('provisioner', {}))).stop();
  await client.applyAgent({
    name: 'tracer',
    model: 'scripted',
    system: 'You check a service.',
    tools: ['workspace.write', 'http.fetch'],
    script: [
      { tool: 'workspace.write', input: { path: 'note.md', content: 'checking' } },
      { tool: 'http.fetch', input: { url: upstreamUrl, headers: { traceparent: '00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01' } } },
      { final: 'the service is up' },
    ],
  });
}, 30_000);

afterAll(async () => {
  await nc?.close();
  await server?.dispose();
  receiver?.server.close();
  upstream?.close();
});

describe('tracing', () => {
  it('exports a trace per turn: steps under the turn, model and tool calls under steps, the executor under the tool call, and http.fetch carries it', async () => {
    const tracing = { endpoint: receiver.url };
    const hosts: Host[] = [
      await startHost([toolExecutorService({ tools: [...workspaceTools, fetchTool] })], config('traced-executor', { ...tracing, serviceName: 'executor' })),
      await startHost([sessionActorService(), permissionBrokerService()], config('traced-actor', tracing)),
    ];
    expect(hosts[1]?.tracesUrl).toBe(`${receiver.url}/v1/traces`);
    await client.submit('tracer', { input: 'is it up?', sessionId: 'traced-run' });
    const events = await succeededSession(client, 'traced-run', 20_000);
    // Stopping flushes what the batches still hold.
    await Promise.all(hosts.map((host) => host.stop()));

    const spans = receiver.spans.filter((span) => span.attributes['signalbox.session.id'] === 'traced-run' || span.traceId === receiver.spans.find((turn) => turn.attributes['gen_ai.conversation.id'] === 'traced-run')?.traceId);
    const turns = spans.filter((span) => span.name === 'invoke_agent tracer');
    expect(turns).toHaveLength(1);
    const turn = turns[0];
    if (!turn) throw new Error('no turn span');
    expect(turn.parentSpanId).toBe('');
    expect(turn.service).toBe('signalbox');
    expect(turn.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'tracer',
      'gen_ai.conversation.id': 'traced-run',
      'signalbox.correlation.id': 'traced-run',
      'signalbox.turn.trigger': 'session.created',
    });
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([turn.traceId]));

    const steps = spans.filter((span) => span.name === 'step');
    expect(steps).toHaveLength(3);
    expect(steps.every((step) => step.parentSpanId === turn.spanId)).toBe(true);
    const stepIds = new Set(steps.map((step) => step.spanId));

    const chats = spans.filter((span) => span.name === 'chat scripted');
    expect(chats).toHaveLength(3);
    for (const chat of chats) {
      expect(stepIds.has(chat.parentSpanId)).toBe(true);
      expect(chat.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'scripted', 'gen_ai.request.model': 'scripted', 'gen_ai.response.model': 'scripted' });
      expect(chat.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
      expect(chat.attributes['gen_ai.response.finish_reasons']).toHaveLength(1);
    }

    const toolSpans = spans.filter((span) => span.name.startsWith('execute_tool '));
    expect(toolSpans.map((span) => span.name).sort()).toEqual(['execute_tool http.fetch', 'execute_tool workspace.write']);
    for (const tool of toolSpans) {
      expect(stepIds.has(tool.parentSpanId)).toBe(true);
      expect(tool.attributes['gen_ai.operation.name']).toBe('execute_tool');
      const run = spans.find((span) => span.name === `run_tool ${String(tool.attributes['gen_ai.tool.name'])}`);
      expect(run?.service).toBe('executor');
      expect(run?.parentSpanId).toBe(tool.spanId);
      expect(run?.attributes['gen_ai.tool.call.id']).toBe(tool.attributes['gen_ai.tool.call.id']);
    }

    // The broker's check of each call hangs under the step that asked it.
    const checks = spans.filter((span) => span.name === 'check_permission');
    expect(checks.map((check) => check.attributes['gen_ai.tool.name']).sort()).toEqual(['http.fetch', 'workspace.write']);
    for (const check of checks) {
      expect(stepIds.has(check.parentSpanId)).toBe(true);
      expect(check.attributes).toMatchObject({ 'signalbox.permission.effect': 'allow', 'signalbox.session.id': 'traced-run' });
    }

    // The local server saw the trace of the executor's span, not the header the model wrote.
    const fetchRun = spans.find((span) => span.name === 'run_tool http.fetch');
    expect(traceparentsSeen).toEqual([`00-${turn.traceId}-${fetchRun?.spanId}-01`]);

    // Every event the actor appended in the turn carries the trace; no content reached a span.
    expect(events.every((event) => event.traceparent?.startsWith(`00-${turn.traceId}-`))).toBe(true);
    const tooled = events.find((event) => event.type === 'tool.requested' && event.data.tool === 'http.fetch');
    expect(tooled?.traceparent).toBe(`00-${turn.traceId}-${toolSpans.find((span) => span.name === 'execute_tool http.fetch')?.spanId}-01`);
    expect(JSON.stringify(spans)).not.toContain('checking');
    expect(JSON.stringify(spans)).not.toContain('You check a service');
  }, 40_000);

  it("sends each model call's trace context to the provider: its request carries the chat span's traceparent", async () => {
    const anthropic = await startFakeAnthropic();
    try {
      anthropic.reply(anthropicText('All is well.'));
      const resolveModel = modelResolver(createProviderRegistry(providerConfigFromEnv({ ANTHROPIC_API_KEY: 'sk-ant-trace-test', ANTHROPIC_BASE_URL: anthropic.baseURL })));
      const host = await startHost([sessionActorService({ resolveModel }), permissionBrokerService()], config('traced-provider', { endpoint: receiver.url }));
      await client.applyAgent({ name: 'claude-tracer', model: 'anthropic/claude-sonnet-4-6', system: 'You answer.', tools: [] });
      await client.submit('claude-tracer', { input: 'how are things?', sessionId: 'traced-provider-run' });
      await succeededSession(client, 'traced-provider-run', 20_000);
      await host.stop();
      const turn = receiver.spans.find((span) => span.attributes['gen_ai.conversation.id'] === 'traced-provider-run');
      const chat = receiver.spans.find((span) => span.traceId === turn?.traceId && span.name === 'chat claude-sonnet-4-6');
      expect(chat).toBeDefined();
      expect(anthropic.requests.map((request) => request.headers['traceparent'])).toEqual([`00-${turn?.traceId}-${chat?.spanId}-01`]);
    } finally {
      await anthropic.close();
    }
  }, 40_000);

  it("traces an attempt's grading under the turn: the grader's job under it, the grader model's call under that, and the call's request carries it", async () => {
    const seen: (string | undefined)[] = [];
    const graderModel = {
      name: 'graders',
      complete: async (_request: ModelRequest, options?: CallOptions): Promise<ModelResponse> => {
        seen.push(options?.traceparent);
        const verdicts = [{ criterion: 'c1', passed: true, reason: 'It cites its source.' }];
        return { model: 'strict-grader', content: [{ type: 'text', text: JSON.stringify({ verdicts, changes: [] }) }], stopReason: 'end_turn', usage: { inputTokens: 30, outputTokens: 4, cacheReadTokens: 0, cacheWriteTokens: 0 } };
      },
    };
    const tracing = { endpoint: receiver.url };
    const hosts = [
      await startHost([graderService({ models: () => ({ provider: graderModel, name: 'strict', costOf: () => 0.001 }) })], config('traced-grader', { ...tracing, serviceName: 'grader' })),
      await startHost([sessionActorService(), permissionBrokerService()], config('traced-grading-actor', tracing)),
    ];
    await client.applyAgent({
      name: 'graded-tracer',
      model: 'scripted',
      system: 'You answer.',
      tools: [],
      outcome: { maxAttempts: 1, model: 'graders/strict', graders: [{ kind: 'model' }] },
      rubric: 'The answer cites its source.',
      script: [{ final: 'It is 42. Source: the Guide.' }],
    });
    await client.submit('graded-tracer', { input: 'What is the answer?', sessionId: 'traced-grading' });
    const events = await succeededSession(client, 'traced-grading', 20_000);
    await Promise.all(hosts.map((host) => host.stop()));

    const turn = receiver.spans.find((span) => span.attributes['gen_ai.conversation.id'] === 'traced-grading');
    const inTrace = receiver.spans.filter((span) => span.traceId === turn?.traceId);
    const grading = inTrace.find((span) => span.name === 'grade_outcome');
    expect(grading?.parentSpanId).toBe(turn?.spanId);
    expect(grading?.attributes).toMatchObject({ 'signalbox.outcome.attempt': 1, 'signalbox.outcome.passed': true, 'signalbox.outcome.score': 1 });
    const job = inTrace.find((span) => span.name === 'run_grader');
    expect(job).toMatchObject({ service: 'grader', parentSpanId: grading?.spanId });
    expect(job?.attributes).toMatchObject({ 'signalbox.session.id': 'traced-grading', 'signalbox.outcome.passed': true });
    const chat = inTrace.find((span) => span.name === 'chat strict');
    expect(chat).toMatchObject({ service: 'grader', parentSpanId: job?.spanId });
    expect(chat?.attributes).toMatchObject({ 'gen_ai.provider.name': 'graders', 'gen_ai.usage.input_tokens': 30, 'gen_ai.response.model': 'strict-grader' });
    expect(seen).toEqual([`00-${turn?.traceId}-${chat?.spanId}-01`]);
    const submitted = events.find((event) => event.type === 'outcome.submitted');
    expect(submitted?.traceparent).toBe(`00-${turn?.traceId}-${grading?.spanId}-01`);
    expect(JSON.stringify(inTrace)).not.toMatch(/Source: the Guide|cites its source/);
  }, 40_000);

  it("hangs a child's turn under its lead's delegation span, in the lead's trace", async () => {
    const hosts = [
      await startHost([sessionActorService(), permissionBrokerService(), toolExecutorService({ tools: workspaceTools })], config('traced-delegation', { endpoint: receiver.url })),
    ];
    await client.applyAgent({ name: 'traced-helper', model: 'scripted', system: 'You help.', tools: [], script: [{ final: 'hello from the helper' }] });
    await client.applyAgent({
      name: 'traced-lead',
      model: 'scripted',
      system: 'You lead.',
      tools: [],
      subagents: ['traced-helper'],
      script: [{ tool: 'agents.delegate', input: { agent: 'traced-helper', task: 'say hello', maxSteps: 3 } }, { final: 'the helper said hello' }],
    });
    await client.submit('traced-lead', { input: 'get a greeting', sessionId: 'traced-lead-run' });
    const events = await succeededSession(client, 'traced-lead-run', 20_000);
    await Promise.all(hosts.map((host) => host.stop()));

    const lead = receiver.spans.find((span) => span.attributes['gen_ai.conversation.id'] === 'traced-lead-run');
    const spawned = events.find((event) => event.type === 'subagent.spawned');
    const childId = spawned?.type === 'subagent.spawned' ? spawned.data.sessionId : undefined;
    const delegation = receiver.spans.find((span) => span.name === 'invoke_agent traced-helper' && span.attributes['gen_ai.operation.name'] === 'invoke_agent' && span.attributes['signalbox.subagent.session.id'] === childId);
    expect(delegation).toMatchObject({ traceId: lead?.traceId });
    expect(delegation?.attributes).toMatchObject({ 'signalbox.subagent.status': 'succeeded', 'signalbox.subagent.kind': 'delegate' });
    const childTurn = receiver.spans.find((span) => span.attributes['gen_ai.conversation.id'] === childId);
    expect(childTurn).toMatchObject({ traceId: lead?.traceId, parentSpanId: delegation?.spanId });
    expect(spawned?.traceparent).toBe(`00-${lead?.traceId}-${delegation?.spanId}-01`);
  }, 40_000);

  it("traces the supervisor: its gate's answers under the steps that asked, an intervention under the event that set it off", async () => {
    const hosts = [
      await startHost([supervisorService()], config('traced-supervisor', { endpoint: receiver.url, serviceName: 'supervisor' })),
      await startHost([sessionActorService(), permissionBrokerService(), toolExecutorService({ tools: workspaceTools })], config('traced-supervised', { endpoint: receiver.url })),
    ];
    const read = { tool: 'workspace.read', input: { path: 'same.md' } };
    const script = [{ tool: 'workspace.write', input: { path: 'same.md', content: 'again' } }, read, read, read, { final: 'done' }];
    await client.applyAgent({ name: 'gated-tracer', model: 'scripted', tools: ['workspace.write', 'workspace.read'], supervision: { gate: { modelCalls: true } }, script });
    const reads = Array.from({ length: 12 }, (_, copy) => ({ tool: 'workspace.read', input: { path: `missing-${copy}.md` } }));
    await client.applyAgent({ name: 'spiral-tracer', model: 'scripted', tools: ['workspace.read'], supervision: { ladder: ['pause'] }, script: [...reads, { final: 'gave up' }] });
    let gated: SessionEvent[];
    let spiralled: SessionEvent[];
    try {
      await client.submit('gated-tracer', { input: 'write it', sessionId: 'traced-gate' });
      gated = await completedSession(client, 'traced-gate', 20_000);
      // The gate answered, so the supervisor follows every partition: the spiral is watched from its first event.
      await client.submit('spiral-tracer', { input: 'read them', sessionId: 'traced-spiral' });
      spiralled = await eventsUntil(client, 'traced-spiral', (events) => events.some((event) => event.type === 'session.paused'), 20_000);
    } finally {
      await Promise.all(hosts.map((host) => host.stop()));
    }

    const gateTurn = receiver.spans.find((span) => span.attributes['gen_ai.conversation.id'] === 'traced-gate');
    const inGateTrace = receiver.spans.filter((span) => span.traceId === gateTurn?.traceId);
    const idsOf = (name: string) => new Set(inGateTrace.filter((span) => span.name === name).map((span) => span.spanId));
    const answers = receiver.spans.filter((span) => span.name === 'supervise_gate' && span.attributes['signalbox.session.id'] === 'traced-gate');
    for (const answer of answers) expect(answer).toMatchObject({ service: 'supervisor', traceId: gateTurn?.traceId, status: 0 });
    // Each model call's answer hangs under the call's span, each reply's tool calls' under the step.
    const [modelAnswers, toolAnswers] = [answers.filter((span) => span.attributes['signalbox.gate.model_call']), answers.filter((span) => !span.attributes['signalbox.gate.model_call'])];
    expect(modelAnswers).toHaveLength(gated.filter((event) => event.type === 'model.requested').length);
    expect(modelAnswers.every((answer) => idsOf('chat scripted').has(answer.parentSpanId))).toBe(true);
    const toolVerdicts = gated.flatMap((event) => (event.type === 'supervisor.gated' && event.data.tool !== undefined ? [event.data.verdict] : []));
    expect(toolVerdicts).toEqual(['proceed', 'proceed', 'proceed', 'block']);
    expect(toolAnswers.map((span) => [span.attributes['signalbox.gate.verdicts'], span.attributes['signalbox.gate.detectors']])).toEqual([
      [['proceed'], []],
      [['proceed'], []],
      [['proceed'], []],
      [['block'], ['repetition']],
    ]);
    expect(toolAnswers.every((answer) => idsOf('step').has(answer.parentSpanId))).toBe(true);

    const intervened = spiralled.find((event) => event.type === 'supervisor.intervened');
    const intervention = receiver.spans.find((span) => span.name === 'intervene error_spiral' && span.attributes['signalbox.session.id'] === 'traced-spiral');
    const spiralTurn = receiver.spans.find((span) => span.attributes['gen_ai.conversation.id'] === 'traced-spiral');
    expect(intervention).toMatchObject({ service: 'supervisor', traceId: spiralTurn?.traceId });
    const evidence = intervened?.type === 'supervisor.intervened' ? intervened.data.evidence : [];
    expect(intervention?.attributes).toMatchObject({ 'signalbox.supervisor.action': 'pause', 'signalbox.supervisor.evidence': evidence });
    // Its parent is the span of the event the supervisor was reading when it found the pattern: the evidence's last, or one just after.
    const readWhenFound = spiralled.filter((event) => event.n >= (evidence.at(-1) ?? 0) && event.n < (intervened?.n ?? 0)).map((event) => spanIdOf(event.traceparent));
    expect(readWhenFound).toContain(intervention?.parentSpanId);
    expect(JSON.stringify(answers.concat(intervention ?? []))).not.toMatch(/again|missing-/);
  }, 40_000);

  it('answers a check it cannot read, with a traceparent that does not parse, and traces it as an error of its own', async () => {
    const host = await startHost([permissionBrokerService()], config('traced-broker', { endpoint: receiver.url, serviceName: 'broker' }));
    // Its subscription reaches the server before the check is sent.
    await host.nc.flush();
    const hostile = headers();
    hostile.set('traceparent', `00-${'z'.repeat(5_000)}-01`);
    const reply = await nc.request(host.names.subjects.permissionCheck, new TextEncoder().encode('{"not":"msgpack"'), { timeout: 5_000, headers: hostile });
    await host.stop();
    expect(decode(PermissionReply, reply.data, 'reply')).toEqual({ error: expect.any(String) });
    const check = receiver.spans.find((span) => span.service === 'broker' && span.name === 'check_permission');
    expect(check).toMatchObject({ parentSpanId: '', status: 2 });
  }, 20_000);

  it("traces each turn of a conversation on its own, the next linked to the last, though another actor takes it", async () => {
    await client.applyAgent({ name: 'chatter', model: 'scripted', conversation: { idleTimeoutMs: 600_000 }, script: [{ final: 'Hello.' }, { final: 'Noted.' }] });
    const services = () => [sessionActorService(), permissionBrokerService()];
    const first = await startHost(services(), config('first-actor', { endpoint: receiver.url }));
    await client.submit('chatter', { input: 'Hi', sessionId: 'traced-chat' });
    await eventsUntil(client, 'traced-chat', (events) => events.at(-1)?.type === 'turn.completed');
    await first.stop();
    // The next turn goes to an actor that never saw the session: it reads the trace back from the log.
    const second = await startHost(services(), config('second-actor', { endpoint: receiver.url }));
    await client.send('traced-chat', 'Remember the milk.', { by: 'test:ann' });
    const events = await eventsUntil(client, 'traced-chat', (seen) => seen.filter((event) => event.type === 'turn.completed').length === 2);
    await second.stop();

    const turns = receiver.spans.filter((span) => span.attributes['gen_ai.conversation.id'] === 'traced-chat');
    expect(turns.map((turn) => turn.attributes['signalbox.turn.trigger'])).toEqual(['session.created', 'message.received']);
    const [one, two] = turns;
    expect(two?.traceId).not.toBe(one?.traceId);
    expect(two?.links).toEqual([expect.objectContaining({ traceId: one?.traceId, spanId: one?.spanId })]);
    const received = events.find((event) => event.type === 'message.received');
    expect(received?.traceparent).toBe(`00-${two?.traceId}-${two?.spanId}-01`);
  }, 40_000);

  it('never slows or fails a session when the collector is unreachable, and records nothing when tracing is off', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = await startHost(
      [sessionActorService(), permissionBrokerService(), toolExecutorService({ tools: [...workspaceTools, fetchTool] })],
      config('unreachable-collector', { endpoint: closedUrl }),
    );
    await client.submit('tracer', { input: 'is it up?', sessionId: 'unexported-run' });
    const traced = await succeededSession(client, 'unexported-run', 20_000);
    expect(traced.every((event) => event.traceparent !== undefined)).toBe(true);
    await unreachable.stop();

    const off = await startHost([sessionActorService(), permissionBrokerService(), toolExecutorService({ tools: [...workspaceTools, fetchTool] })], config('untraced', {}));
    expect(off.tracesUrl).toBeUndefined();
    const before = receiver.spans.length;
    await client.submit('tracer', { input: 'is it up?', sessionId: 'untraced-run' });
    const untraced = await completedSession(client, 'untraced-run', 20_000);
    await off.stop();
    expect(untraced.some((event) => event.traceparent !== undefined)).toBe(false);
    expect(traceparentsSeen.at(-1)).toBe('00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01');
    expect(receiver.spans.length).toBe(before);
  }, 40_000);
});
