import type { MemoryStoreDefinition } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { memoryFactsOf, memoryFindings } from './doctor-memory-checks.ts';

const providers = {
  anthropic: { kind: 'anthropic' as const, apiKeyEnv: 'ANTHROPIC_API_KEY' },
  ollama: { kind: 'openai-compatible' as const, baseURL: 'http://127.0.0.1:11434/v1' },
};
const store = (name: string, fields: Partial<MemoryStoreDefinition> = {}, consolidation: Partial<NonNullable<MemoryStoreDefinition['consolidation']>> = {}): MemoryStoreDefinition => ({
  name,
  agents: ['scribe'],
  promotion: 'auto',
  consolidation: { model: 'ollama/llama3', sessions: 100, reads: {}, requireLocalProvider: false, ...consolidation },
  ...fields,
});
const given = (...definitions: MemoryStoreDefinition[]) => memoryFindings(memoryFactsOf(definitions, ['scribe', 'reviewer'], providers));

describe('doctor on memory stores', () => {
  it('says nothing of a store whose agents exist and whose model can be called, locally when it must', () => {
    expect(given(store('team', { agents: ['scribe', 'reviewer'] }, { requireLocalProvider: true }), store('plain', { consolidation: undefined }))).toEqual([]);
  });

  it('warns of a store naming agents that do not exist', () => {
    expect(given(store('team', { agents: ['scribe', 'ghost'] }))).toEqual([{ level: 'warn', message: expect.stringMatching(/^Memory store team names agents that do not exist: ghost\./) }]);
  });

  it('warns of a consolidation model whose provider is not configured here, or has no key', () => {
    expect(given(store('far', {}, { model: 'mistral/large' }))).toEqual([{ level: 'warn', message: expect.stringMatching(/^Memory store far is consolidated by mistral\/large, and no such provider is configured here/) }]);
    expect(given(store('keyless', {}, { model: 'anthropic/claude-sonnet-4-5' }))).toEqual([{ level: 'warn', message: expect.stringMatching(/whose provider has no API key here/) }]);
  });

  it('reports as an error a store that requires a local provider and names a model whose calls leave the machine', () => {
    const findings = given(store('private', {}, { model: 'anthropic/claude-sonnet-4-5', requireLocalProvider: true }));
    expect(findings).toContainEqual({ level: 'error', message: expect.stringMatching(/^Memory store private requires a local provider, and its model anthropic\/claude-sonnet-4-5 calls anthropic at api\.anthropic\.com, which is not this machine/) });
  });
});
