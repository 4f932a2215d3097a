import type { AgentDefinition } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { outputFindings } from './doctor-output-checks.ts';

const agent = (name: string, extra: Partial<AgentDefinition> = {}): AgentDefinition => ({ name, model: 'scripted', system: '', tools: [], budget: { maxSteps: 20 }, maxTokens: 4096, subagents: [], ...extra });
const closed = { type: 'object', required: ['ok'], additionalProperties: false, properties: { ok: { type: 'boolean' } } };
const open = { type: 'object', properties: { ok: { type: 'boolean' } } };

describe('doctor: output schemas', () => {
  it("warns when an OpenAI agent's schema is not strict, so the provider only takes it as guidance", () => {
    expect(outputFindings([agent('loose', { model: 'openai/gpt-4.1', output: open })])).toEqual([{ level: 'warn', message: expect.stringMatching(/^agent loose's output schema does not meet OpenAI's strict mode/) }]);
  });

  it('says the rest answer in validated JSON, and says nothing of agents without a schema', () => {
    expect(outputFindings([agent('strict', { model: 'openai/gpt-4.1', output: closed }), agent('claude', { model: 'anthropic/claude-sonnet-4-6', output: open }), agent('plain')])).toEqual([
      { level: 'ok', message: 'agent strict answers in JSON its output schema validates' },
      { level: 'ok', message: 'agent claude answers in JSON its output schema validates' },
    ]);
  });
});
