import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { SignalboxClient } from '@signalbox/client';
import { naming, type SessionEvent } from '@signalbox/events';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { RuntimeConfig, startHost, type Host } from '@signalbox/runtime';
import { sessionActorService } from '@signalbox/session-actor';
import { ApiTokens, type ApiTokenScope } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { toolExecutorService, workspaceTools } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sseFrames, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { completedSession, scriptedAgent } from '../support/runtime.ts';

/**
 * The gateway over a real runtime, called with fetch as a program or the console would: a run
 * submitted, listed, read, streamed live, its held call approved, forked and diffed; and what a
 * hostile caller sends (bad tokens, forged CSRF, huge or deeply nested bodies, subject injection).
 */
const names = naming('sbx');
let server: NatsServer;
let host: Host;
let nc: NatsConnection;
let client: SignalboxClient;
let gateway: TestGateway;
let consoleRoot: string;
const secrets: Record<string, string> = {};

async function token(name: string, scopes: ApiTokenScope[]): Promise<string> {
  const created = await (await ApiTokens.open(nc, names)).create(name, scopes, Date.now());
  secrets[name] = created.secret;
  return created.secret;
}

function call(path: string, init: RequestInit & { token?: string; json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('Authorization', `Bearer ${init.token}`);
  if (init.json !== undefined) headers.set('Content-Type', 'application/json');
  return fetch(`${gateway.url}${path}`, { ...init, headers, ...(init.json !== undefined ? { body: JSON.stringify(init.json), method: init.method ?? 'POST' } : {}) });
}

async function body(response: Response): Promise<{ status: number; json: Record<string, unknown> }> {
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function consumersOnEvents(): Promise<number> {
  return (await (await jetstreamManager(nc)).streams.info(names.streams.events)).state.consumer_count;
}

async function submitted(input: string, agent = 'careful'): Promise<string> {
  const { status, json } = await body(await call('/api/v1/sessions', { token: secrets.submitter, json: { agent, input } }));
  expect(status).toBe(202);
  return json.sessionId as string;
}

async function waitingApproval(sessionId: string): Promise<string> {
  return vi.waitFor(async () => {
    const { json } = await body(await call('/api/v1/approvals', { token: secrets.reader }));
    const approval = (json.approvals as { sessionId: string; approvalId: string }[]).find((a) => a.sessionId === sessionId);
    if (!approval) throw new Error('nothing waits for approval yet');
    return approval.approvalId;
  }, { timeout: 20_000, interval: 100 });
}

beforeAll(async () => {
  server = await startNatsServer();
  const config = RuntimeConfig.parse({ natsUrl: server.url, logLevel: 'silent', instance: 'gateway-e2e' });
  host = await startHost([sessionActorService(), permissionBrokerService(), toolExecutorService({ tools: workspaceTools })], config);
  nc = await connect({ servers: server.url });
  client = await SignalboxClient.open(nc);
  await client.applyPolicy({ name: 'ask-writes', rules: [{ effect: 'ask', tool: 'workspace.write' }, { effect: 'allow', tool: 'workspace.*' }] });
  await client.applyAgent(scriptedAgent({ name: 'careful', policy: 'ask-writes' }));
  await client.applyAgent(scriptedAgent());
  await client.applyAgent(scriptedAgent({ name: 'pal', tools: ['wait.signal'], conversation: { idleTimeoutMs: 3_600_000 }, script: [{ tool: 'wait.signal', input: { name: 'never' } }, { final: 'Stopped waiting.' }] }));
  consoleRoot = mkdtempSync(join(tmpdir(), 'sbx-gateway-console-'));
  mkdirSync(join(consoleRoot, 'dist', 'assets'), { recursive: true });
  writeFileSync(join(consoleRoot, 'dist', 'index.html'), '<!doctype html><title>Signalbox console</title>');
  writeFileSync(join(consoleRoot, 'outside.txt'), 'not for the web');
  gateway = await startTestGateway(nc, { consoleDir: join(consoleRoot, 'dist'), rate: { perSecond: 1000, burst: 1000 }, maxStreamsPerToken: 2 });
  await token('submitter', ['submit', 'read']);
  await token('reader', ['read']);
  await token('approver', ['approve', 'read']);
  await token('root', ['admin']);
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await nc?.close();
  await host?.stop();
  await server?.dispose();
  if (consoleRoot) rmSync(consoleRoot, { recursive: true, force: true });
});

describe('the gateway over a running runtime', () => {
  it('submits, lists, reads, streams live, approves the held call, forks and diffs', async () => {
    const sessionId = await submitted('Remember the milk');
    const controller = new AbortController();
    const stream = await call(`/api/v1/sessions/${sessionId}/stream`, { token: secrets.reader, signal: controller.signal });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const frames: { id?: string; event?: string; data?: string }[] = [];
    const reading = (async () => {
      for await (const frame of sseFrames(stream)) frames.push(frame);
    })();

    const approvalId = await waitingApproval(sessionId);
    // The stream has shown the request for approval before anyone answered it: it is live.
    await vi.waitFor(() => expect(frames.map((f) => f.event)).toContain('approval.requested'), { timeout: 10_000 });
    expect(frames.map((f) => f.event)).not.toContain('approval.resolved');

    expect(await body(await call(`/api/v1/approvals/${approvalId}/approve`, { token: secrets.reader, json: {} }))).toMatchObject({ status: 403, json: { error: { code: 'insufficient_scope' } } });
    const approved = await call(`/api/v1/approvals/${approvalId}/approve`, { token: secrets.approver, json: { note: 'fine' } });
    expect(approved.status).toBe(202);
    await reading; // the stream ends after session.completed
    const events = await completedSession(client, sessionId, 20_000);
    expect(frames.map((f) => Number(f.id))).toEqual(events.map((e) => e.n));
    expect(frames.at(-1)?.event).toBe('session.completed');
    expect(JSON.parse(frames.find((f) => f.event === 'approval.resolved')?.data ?? '{}')).toMatchObject({ data: { approved: true, by: 'gateway:approver', note: 'fine' } });

    const listed = await body(await call('/api/v1/sessions?status=succeeded&agent=careful&minCost=0', { token: secrets.reader }));
    expect(listed.json.sessions).toEqual([expect.objectContaining({ sessionId, status: 'succeeded', costUsd: 0, steps: expect.any(Number) })]);
    const detail = await body(await call(`/api/v1/sessions/${sessionId}`, { token: secrets.reader }));
    expect(detail.json).toMatchObject({ sessionId, status: 'succeeded', agent: 'careful', output: 'Noted: remember the milk', approvals: [], input: 'Remember the milk' });
    const page = await body(await call(`/api/v1/sessions/${sessionId}/events?after=2&limit=3`, { token: secrets.reader }));
    expect((page.json.events as SessionEvent[]).map((e) => e.n)).toEqual([3, 4, 5]);

    // Resumed after the last event but one: only the last comes, and the stream ends.
    const last = events.at(-1)!.n;
    const resumed: string[] = [];
    for await (const frame of sseFrames(await call(`/api/v1/sessions/${sessionId}/stream`, { token: secrets.reader, headers: { 'Last-Event-ID': String(last - 1) } }))) resumed.push(frame.id ?? '');
    expect(resumed).toEqual([String(last)]);
    // Resumed at its last event, or past it: a completed session's stream ends at once, empty.
    for (const after of [last, last + 50]) {
      const frames: unknown[] = [];
      for await (const frame of sseFrames(await call(`/api/v1/sessions/${sessionId}/stream`, { token: secrets.reader, headers: { 'Last-Event-ID': String(after) }, signal: AbortSignal.timeout(5_000) }))) frames.push(frame);
      expect(frames).toEqual([]);
    }

    // Forked after the approval: the fork's log holds it, so the fork runs the call without asking again.
    const resolvedAt = events.find((e) => e.type === 'approval.resolved')!.n;
    const fork = await body(await call(`/api/v1/sessions/${sessionId}/fork`, { token: secrets.submitter, json: { at: resolvedAt } }));
    expect(fork.status).toBe(201);
    const forkId = fork.json.sessionId as string;
    expect((await completedSession(client, forkId, 20_000)).at(-1)).toMatchObject({ data: { status: 'succeeded' } });
    const diff = await body(await call(`/api/v1/diff?a=${sessionId}&b=${forkId}`, { token: secrets.reader }));
    expect(diff).toMatchObject({ status: 200, json: { a: { sessionId }, b: { sessionId: forkId } } });
    controller.abort();
  }, 60_000);

  it('sends a message that cuts in: the running step stops, and the message starts the next turn', async () => {
    const sessionId = await submitted('wait for a signal that never comes', 'pal');
    await vi.waitFor(async () => expect((await client.events(sessionId)).some((event) => event.type === 'tool.requested')).toBe(true), { timeout: 15_000 });
    const send = (json: unknown) => call(`/api/v1/sessions/${sessionId}/send`, { token: secrets.submitter, json });
    expect((await body(await send({ text: 'stop that', interrupt: 'yes' }))).status).toBe(400);
    expect((await send({ text: 'stop that', interrupt: true })).status).toBe(202);
    const events = await vi.waitFor(async () => {
      const logged = await client.events(sessionId);
      if (!logged.some((event) => event.type === 'turn.completed')) throw new Error('no turn completed yet');
      return logged;
    }, { timeout: 15_000, interval: 100 });
    const order = events.map((event) => event.type).filter((type) => ['session.interrupted', 'message.received', 'turn.completed'].includes(type));
    // The message is recorded as it stops the step, so the turn the interrupt starts reads it.
    expect(order).toEqual(['message.received', 'session.interrupted', 'turn.completed']);
    expect(events.find((event) => event.type === 'message.received')?.data).toMatchObject({ text: 'stop that', by: 'gateway:submitter' });
  });

  it('denies through the API, and removes a live stream\'s consumer when its client goes', async () => {
    const before = await consumersOnEvents();
    const sessionId = await submitted('Hold this');
    const approvalId = await waitingApproval(sessionId);
    const controller = new AbortController();
    const stream = await call(`/api/v1/sessions/${sessionId}/stream`, { token: secrets.reader, signal: controller.signal });
    const frames = sseFrames(stream);
    await frames.next();
    expect(await consumersOnEvents()).toBe(before + 1);
    controller.abort();
    await vi.waitFor(async () => expect(await consumersOnEvents()).toBe(before), { timeout: 10_000, interval: 50 });

    expect((await call(`/api/v1/approvals/${approvalId}/deny`, { token: secrets.approver, json: { note: 'not now' } })).status).toBe(202);
    await completedSession(client, sessionId, 20_000);
    expect(await body(await call(`/api/v1/approvals/${approvalId}/deny`, { token: secrets.approver, json: {} }))).toMatchObject({ status: 409, json: { error: { code: 'approval_not_waiting' } } });
  }, 40_000);

  it('caps live streams per token, and counts a closed one out', async () => {
    const sessionId = await submitted('Wait for me');
    await waitingApproval(sessionId);
    const controllers = [new AbortController(), new AbortController()];
    const open = await Promise.all(controllers.map((controller) => call(`/api/v1/sessions/${sessionId}/stream`, { token: secrets.reader, signal: controller.signal })));
    expect(open.map((r) => r.status)).toEqual([200, 200]);
    expect(await body(await call(`/api/v1/sessions/${sessionId}/stream`, { token: secrets.reader }))).toMatchObject({ status: 429, json: { error: { code: 'too_many_streams' } } });
    controllers[0]!.abort();
    await vi.waitFor(async () => {
      const again = await call(`/api/v1/sessions/${sessionId}/stream?after=1000`, { token: secrets.reader, signal: AbortSignal.timeout(5_000) });
      expect(again.status).toBe(200);
      await again.body?.cancel();
    }, { timeout: 10_000, interval: 100 });
    controllers[1]!.abort();
  }, 40_000);

  it('stops with live streams open: each ends, and leaves no consumer behind', async () => {
    const sessionId = await submitted('Still waiting');
    await waitingApproval(sessionId);
    const before = await consumersOnEvents();
    const second = await startTestGateway(nc, {});
    const stream = await fetch(`${second.url}/api/v1/sessions/${sessionId}/stream`, { headers: { Authorization: `Bearer ${secrets.reader}` } });
    const frames = sseFrames(stream);
    await frames.next();
    await second.stop();
    for await (const _frame of frames); // the server ended it
    await vi.waitFor(async () => expect(await consumersOnEvents()).toBe(before), { timeout: 10_000, interval: 50 });
  }, 40_000);

  it('lists the stored agents to a reader, each with its model and tools, and none to a caller without a token', async () => {
    const listed = await body(await call('/api/v1/agents', { token: secrets.reader }));
    expect(listed.status).toBe(200);
    const agents = listed.json.agents as { name: string; model: string; tools: string[]; conversation: boolean }[];
    expect(agents.map((agent) => agent.name)).toEqual([...agents.map((agent) => agent.name)].sort());
    expect(agents).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'careful', model: 'scripted', conversation: false }), expect.objectContaining({ name: 'pal', tools: ['wait.signal'], conversation: true })]));
    // The list says what to pick, not the agents' instructions.
    expect(JSON.stringify(agents)).not.toContain('"system"');
    expect((await call('/api/v1/agents')).status).toBe(401);
  });

  it('answers a stream of an unknown session 404, and a session id that would be a subject wildcard 400', async () => {
    expect(await body(await call('/api/v1/sessions/nobody-here/stream', { token: secrets.reader }))).toMatchObject({ status: 404, json: { error: { code: 'unknown_session' } } });
    for (const id of ['a.>', '*', 'a b', 'a.b', '>']) {
      const response = await body(await call(`/api/v1/sessions/${encodeURIComponent(id)}/events`, { token: secrets.reader }));
      expect(response, id).toMatchObject({ status: 400, json: { error: { code: 'invalid_request' } } });
    }
    expect((await call('/api/v1/sessions', { token: secrets.submitter, json: { agent: 'careful', input: 'x', sessionId: 'a.>' } })).status).toBe(400);
    expect((await call('/api/v1/sessions', { token: secrets.submitter, json: { agent: 'a.*', input: 'x' } })).status).toBe(400);
  });
});

describe('auth', () => {
  it('refuses no token, an unknown one, a revoked one and a missing scope, saying why', async () => {
    expect(await body(await call('/api/v1/sessions'))).toMatchObject({ status: 401, json: { error: { code: 'unauthenticated' } } });
    expect(await body(await call('/api/v1/sessions', { token: 'sbxt_not-a-real-token' }))).toMatchObject({ status: 401, json: { error: { code: 'invalid_token' } } });
    const doomed = await token('doomed', ['read']);
    expect((await call('/api/v1/sessions', { token: doomed })).status).toBe(200);
    expect((await call('/api/v1/tokens/doomed', { token: secrets.root, method: 'DELETE' })).status).toBe(200);
    expect(await body(await call('/api/v1/sessions', { token: doomed }))).toMatchObject({ status: 401, json: { error: { code: 'invalid_token' } } });
    expect(await body(await call('/api/v1/sessions', { token: secrets.reader, json: { agent: 'careful', input: 'x' } }))).toMatchObject({ status: 403, json: { error: { code: 'insufficient_scope' } } });
    expect((await call('/api/v1/tokens', { token: secrets.submitter })).status).toBe(403);
  });

  it('logs a browser in with cookies, and asks the CSRF header of every cookie request that changes something', async () => {
    const login = await call('/api/v1/auth/login', { json: { token: secrets.submitter } });
    expect(login.status).toBe(200);
    const { csrf } = (await login.json()) as { csrf: string };
    const cookies = login.headers.getSetCookie();
    expect(cookies.find((c) => c.startsWith('sbx_session='))).toMatch(/HttpOnly/i);
    expect(cookies.find((c) => c.startsWith('sbx_session='))).toMatch(/SameSite=Strict/i);
    expect(cookies.find((c) => c.startsWith('sbx_csrf='))).not.toMatch(/HttpOnly/i);
    const cookie = cookies.map((c) => c.split(';')[0]).join('; ');
    const submit = (headers: Record<string, string>) => call('/api/v1/sessions', { json: { agent: 'scribe', input: 'via the cookie' }, headers: { cookie, ...headers } });

    expect(await body(await call('/api/v1/auth/me', { headers: { cookie } }))).toMatchObject({ status: 200, json: { name: 'submitter' } });
    expect(await body(await submit({}))).toMatchObject({ status: 403, json: { error: { code: 'csrf' } } });
    expect(await body(await submit({ 'X-CSRF-Token': 'forged' }))).toMatchObject({ status: 403, json: { error: { code: 'csrf' } } });
    // A readable cookie an attacker planted, with a header to match: the value is bound to the token, so it fails.
    expect(await body(await call('/api/v1/sessions', { json: { agent: 'scribe', input: 'x' }, headers: { cookie: `${cookie.split('; ')[0]}; sbx_csrf=planted`, 'X-CSRF-Token': 'planted' } }))).toMatchObject({ status: 403 });
    expect((await submit({ 'X-CSRF-Token': csrf })).status).toBe(202);
    expect(await body(await call('/api/v1/auth/login', { json: { token: 'sbxt_wrong' } }))).toMatchObject({ status: 401, json: { error: { code: 'invalid_token' } } });
    // A cross-site form can post only form or plain-text bodies: login takes JSON alone, so no page logs a browser in as someone else.
    const formLogin = await call('/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ token: secrets.submitter }), headers: { 'Content-Type': 'text/plain' } });
    expect(formLogin.status).toBe(415);
    expect(formLogin.headers.getSetCookie()).toEqual([]);
  });

  it('limits each token to its rate, with Retry-After', async () => {
    const limited = await startTestGateway(nc, { rate: { perSecond: 0.01, burst: 2 } });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push(await fetch(`${limited.url}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${secrets.reader}` } }));
      expect(statuses.map((r) => r.status)).toEqual([200, 200, 429]);
      expect(Number(statuses[2]!.headers.get('Retry-After'))).toBeGreaterThan(0);
      expect(await statuses[2]!.json()).toMatchObject({ error: { code: 'rate_limited' } });
      // Another token has its own bucket.
      expect((await fetch(`${limited.url}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${secrets.approver}` } })).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });

  it('keeps every token secret out of its logs and out of every stream and bucket', async () => {
    const { findEverywhere } = await import('../support/stored-everywhere.ts');
    const needles = Object.values(secrets);
    expect(gateway.logLines.length).toBeGreaterThan(0);
    for (const needle of needles) expect(gateway.logLines.join('\n')).not.toContain(needle);
    expect(await findEverywhere(nc, needles)).toEqual([]);
  });
});

describe('hostile bodies', () => {
  it('refuses a body over 1 MiB with 413 before parsing it, by its length or as it streams', async () => {
    const huge = JSON.stringify({ agent: 'scribe', input: 'x'.repeat(1024 * 1024 + 10) });
    expect(await body(await call('/api/v1/sessions', { token: secrets.submitter, body: huge, method: 'POST', headers: { 'Content-Type': 'application/json' } }))).toMatchObject({ status: 413, json: { error: { code: 'too_large' } } });
    const chunked = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(64 * 1024)));
        controller.close();
      },
    });
    const streamed = await call('/api/v1/sessions', { token: secrets.submitter, body: chunked, method: 'POST', headers: { 'Content-Type': 'application/json' }, duplex: 'half' });
    expect(streamed.status).toBe(413);
  });

  it('refuses JSON nested past the limit before JSON.parse or zod walk it', async () => {
    const deep = `{"agent":"scribe","input":"x","rubric":${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
    expect(await body(await call('/api/v1/sessions', { token: secrets.submitter, body: deep, method: 'POST', headers: { 'Content-Type': 'application/json' } }))).toMatchObject({ status: 400, json: { error: { code: 'too_deep' } } });
  });

  it('answers malformed JSON and unknown fields 400 with the issues', async () => {
    expect((await call('/api/v1/sessions', { token: secrets.submitter, body: '{"agent":', method: 'POST', headers: { 'Content-Type': 'application/json' } })).status).toBe(400);
    const unknown = await body(await call('/api/v1/sessions', { token: secrets.submitter, json: { agent: 'scribe', input: 'x', nonsense: true } }));
    expect(unknown).toMatchObject({ status: 400, json: { error: { code: 'invalid_request', issues: expect.any(Array) } } });
  });
});

describe('the console and the API document', () => {
  it('serves index.html for client-side routes, never a file outside the build', async () => {
    expect(await (await fetch(`${gateway.url}/sessions/abc`)).text()).toContain('Signalbox console');
    for (const path of ['/%2e%2e/outside.txt', '/..%2foutside.txt', '/assets/%2e%2e%2f%2e%2e%2foutside.txt']) {
      expect(await (await fetch(`${gateway.url}${path}`)).text(), path).not.toContain('not for the web');
    }
    // A raw request line with ../, which fetch would normalise away.
    const raw = await new Promise<string>((resolve, reject) => {
      const url = new URL(gateway.url);
      httpRequest({ host: url.hostname, port: url.port, path: '/../outside.txt' }, (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve(text));
      }).on('error', reject).end();
    });
    expect(raw).not.toContain('not for the web');
    expect(await body(await fetch(`${gateway.url}/api/v1/no-such-route`))).toMatchObject({ status: 404 });
  });

  it('serves its OpenAPI 3.1 document and its health without a token', async () => {
    const document = await body(await fetch(`${gateway.url}/api/v1/openapi.json`));
    expect(document.json.openapi).toBe('3.1.0');
    expect(Object.keys(document.json.paths as object)).toEqual(expect.arrayContaining(['/sessions', '/sessions/{id}/stream', '/approvals/{approvalId}/approve', '/auth/login']));
    expect(document.json.security).toEqual([{ bearer: [] }, { cookie: [] }]);
    expect(document.json.paths).toMatchObject({ '/auth/login': { post: { security: [] } } });
    expect(await body(await fetch(`${gateway.url}/api/v1/healthz`))).toEqual({ status: 200, json: { ok: true } });
  });
});
