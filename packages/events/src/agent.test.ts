import { describe, expect, it } from 'vitest';
import { AgentDefinition } from './agent.ts';

const agent = (fields: object) => AgentDefinition.safeParse({ name: 'billing', model: 'anthropic/claude-sonnet-4-5', ...fields });

describe('an agent naming the vault secret of its provider key', () => {
  it('takes a secret name', () => {
    expect(agent({ providerKeySecret: 'ANTHROPIC_PROD_KEY' })).toMatchObject({ success: true, data: { providerKeySecret: 'ANTHROPIC_PROD_KEY' } });
  });

  it('needs none: without one the environment gives the key', () => {
    const parsed = agent({});
    expect(parsed.success).toBe(true);
    expect(parsed.data).not.toHaveProperty('providerKeySecret');
  });

  it.each(['', 'PROD.KEY', 'sbx-secrets.>', '*', '1KEY', 'KEY ', 'a'.repeat(129), '../KEY'])('refuses %j, which is no secret name', (name) => {
    const parsed = agent({ providerKeySecret: name });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['providerKeySecret']);
  });

  it('refuses one on a scripted agent, which calls no provider', () => {
    const parsed = agent({ model: 'scripted', script: [{ final: 'done' }], providerKeySecret: 'ANTHROPIC_PROD_KEY' });
    expect(parsed.error?.issues[0]?.message).toContain('scripted agent calls no provider');
  });
});

describe('an agent with an outcome', () => {
  it('takes a rubric that is one: a sentence or criteria', () => {
    expect(agent({ outcome: {}, rubric: 'The summary is under 100 words.' }).success).toBe(true);
    expect(agent({ outcome: {}, rubric: { criteria: [{ text: 'Cites the source', required: true }] } }).success).toBe(true);
  });

  it('takes none: its tasks give the rubric, and task admission refuses one that does not', () => {
    expect(agent({ outcome: {} }).success).toBe(true);
  });

  it('refuses a rubric it could not be graded against', () => {
    const parsed = agent({ outcome: {}, rubric: { steps: ['read', 'write'] } });
    expect(parsed.error?.issues[0]).toMatchObject({ path: ['rubric'], message: expect.stringContaining('an outcome needs a rubric') });
  });

  it('leaves a free-form rubric alone without an outcome: the supervisor’s judge reads any JSON', () => {
    expect(agent({ rubric: { steps: ['read', 'write'] } }).success).toBe(true);
  });
});
