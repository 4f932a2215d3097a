import { anthropicText, responsesText } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProviders, type FakeProviders } from '../support/fake-providers.ts';
import { scriptedAgent, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * Structured output end to end: the schema reaches each provider's structured-output feature over its
 * real wire format (through the real SDKs), the answer is validated, a wrong one goes back to the model
 * once, and the client returns the JSON value.
 */
let providers: FakeProviders;
let runtime: TestRuntime;

const incident = {
  type: 'object',
  required: ['service', 'severity'],
  additionalProperties: false,
  properties: { service: { type: 'string' }, severity: { type: 'integer', minimum: 1, maximum: 4 } },
};
const agent = (name: string, model: string) => ({ name, model, system: 'You triage incidents.', budget: { maxSteps: 4 }, output: incident });
const accepted = (outcome: Awaited<ReturnType<TestRuntime['client']['submit']>>): string => {
  if (outcome.status === 'rejected') throw new Error(`task rejected: ${outcome.error}`);
  return outcome.sessionId;
};

beforeAll(async () => {
  providers = await startFakeProviders(0);
  runtime = await startTestRuntime({
    actor: { resolveModel: providers.resolveModel },
    agents: [
      agent('claude-triage', 'anthropic/claude-sonnet-4-6'),
      agent('gpt-triage', 'openai/gpt-4.1'),
      scriptedAgent({ name: 'sloppy', tools: [], output: incident, script: [{ final: 'It is billing, pretty bad.' }, { final: '{"service": "billing", "severity": 2}' }] }),
      scriptedAgent({ name: 'stubborn', tools: [], output: incident, script: [{ final: '{"service": "billing"}' }, { final: '{"service": "billing", "severity": 9}' }] }),
    ],
  });
});
afterAll(async () => {
  await runtime?.dispose();
  await providers?.close();
});

describe('structured output', () => {
  it("sends an Anthropic model the schema as its output format and returns the answer's JSON value", async () => {
    providers.anthropic.reply(anthropicText('{"service": "billing", "severity": 2}'));
    const sessionId = accepted(await runtime.client.submit('claude-triage', { input: 'Billing returns 500s.' }));
    const result = await runtime.client.result(sessionId, AbortSignal.timeout(10_000));
    expect(result).toMatchObject({ status: 'succeeded', structuredOutput: { service: 'billing', severity: 2 } });
    expect(providers.anthropic.requests.at(-1)?.body).toMatchObject({ output_config: { format: { type: 'json_schema', schema: incident } } });
  });

  it('sends an OpenAI model the schema as a strict text format, and a task may give its own schema', async () => {
    const mine = { type: 'object', required: ['team'], additionalProperties: false, properties: { team: { type: 'string' } } };
    providers.openai.reply(responsesText('{"team": "payments"}'));
    const sessionId = accepted(await runtime.client.submit('gpt-triage', { input: 'Who owns billing?', output: mine }));
    const result = await runtime.client.result(sessionId, AbortSignal.timeout(10_000));
    expect(result).toMatchObject({ status: 'succeeded', structuredOutput: { team: 'payments' } });
    expect(providers.openai.requests.at(-1)?.body).toMatchObject({ text: { format: { type: 'json_schema', name: 'output', schema: mine, strict: true } } });
  });

  it('sends a non-conforming answer back once with the errors, and succeeds with the corrected one', async () => {
    const sessionId = accepted(await runtime.client.submit('sloppy', { input: 'Triage the billing outage.' }));
    const events = await runtime.completedSession(sessionId);
    expect(events.find((event) => event.type === 'output.rejected')?.data).toMatchObject({ attempt: 1, errors: [expect.stringMatching(/^the answer is not JSON/)] });
    expect(await runtime.client.result(sessionId)).toMatchObject({ status: 'succeeded', structuredOutput: { service: 'billing', severity: 2 } });
  });

  it('fails the session when the second answer is wrong too, naming what is wrong', async () => {
    const sessionId = accepted(await runtime.client.submit('stubborn', { input: 'Triage the billing outage.' }));
    const result = await runtime.client.result(sessionId, AbortSignal.timeout(10_000));
    expect(result).toMatchObject({ status: 'failed', output: '{"service": "billing", "severity": 9}', reason: expect.stringMatching(/in 2 attempts: #\/severity: 9 is greater than 4/) });
    expect(result).not.toHaveProperty('structuredOutput');
  });

  it('refuses a task whose schema could hang the validator or is not an object, before any session starts', async () => {
    const hostile = await runtime.client.submit('sloppy', { input: 'x', output: { type: 'object', properties: { id: { type: 'string', pattern: '(a+)+$' } } } });
    expect(hostile).toMatchObject({ status: 'rejected', error: expect.stringMatching(/may not use "pattern"/) });
    const scalar = await runtime.client.submit('sloppy', { input: 'x', output: { type: 'string' } });
    expect(scalar).toMatchObject({ status: 'rejected', error: expect.stringMatching(/root must be an object schema/) });
  });
});
