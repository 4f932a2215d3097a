import { createHash } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import { defineTool } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { scriptedAgent, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

let runtime: TestRuntime;
let sent = 0;
const sendMail = defineTool({
  name: 'mail.send',
  description: 'Send an email',
  input: z.object({ to: z.string() }),
  idempotent: false,
  run: ({ to }) => `sent to ${to} (${++sent})`,
});

beforeAll(async () => {
  const mailer = scriptedAgent({
    name: 'mailer',
    tools: ['mail.send'],
    script: [{ tool: 'mail.send', input: { to: 'ops@example.com' } }, { final: 'Done, as far as I can tell.' }],
  });
  runtime = await startTestRuntime({ agents: [mailer], tools: [sendMail] });
});
afterAll(() => runtime?.dispose());

describe('the tool ledger, end to end', () => {
  it('reports a non-idempotent call cut off mid-run as outcome unknown, and the session goes on', async () => {
    // As an executor that died mid-call leaves it: the call started long ago by a job that is gone.
    const ledger = await new Kvm(runtime.nc).open('sbx-tool-ledger');
    const idempotencyKey = 'mail-1/call_1';
    const key = createHash('sha256').update(idempotencyKey).digest('hex');
    await ledger.create(key, JSON.stringify({ state: 'started', idempotencyKey, job: 'SBX_JOBS/999999', instance: 'gone', at: 0 }));

    await runtime.client.submit('mailer', { input: 'tell ops', sessionId: 'mail-1' });
    const events = await runtime.completedSession('mail-1');

    const unknown = events.find((event) => event.type === 'tool.outcome_unknown');
    expect(unknown?.data).toMatchObject({ callId: 'call_1', tool: 'mail.send', reason: expect.stringContaining('not safe to run twice') });
    expect(sent).toBe(0);
    expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded', totals: { toolCalls: 1 } } });
  });

  it('sends a call once, and records it for any later delivery', async () => {
    await runtime.client.submit('mailer', { input: 'tell ops', sessionId: 'mail-2' });
    const events = await runtime.completedSession('mail-2');
    expect(events.find((event) => event.type === 'tool.completed')?.data).toMatchObject({ output: 'sent to ops@example.com (1)' });
    const ledger = await new Kvm(runtime.nc).open('sbx-tool-ledger');
    const entry = await ledger.get(createHash('sha256').update('mail-2/call_1').digest('hex'));
    expect(entry?.json()).toMatchObject({ state: 'finished', idempotencyKey: 'mail-2/call_1', result: { outcome: { status: 'completed' } } });
  });
});
