import type { AgentDefinition } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { agentMemoryFactsOf, agentMemoryFindings, withPinnedStates } from './doctor-agent-memory-checks.ts';

const agent = (name: string, extra: Partial<AgentDefinition> = {}): AgentDefinition => ({ name, model: 'scripted', system: '', tools: [], budget: { maxSteps: 20 }, maxTokens: 4096, subagents: [], ...extra });

describe("doctor: agents' memory", () => {
  it('warns of an agent whose store is not defined, or does not name it, and says what to do', () => {
    const facts = agentMemoryFactsOf(
      [agent('scribe', { memory: { store: 'ops', load: 8 } }), agent('stray', { memory: { store: 'ops', load: 8 } }), agent('lost', { memory: { store: 'nowhere', load: 8 } }), agent('plain')],
      [{ name: 'ops', agents: ['scribe'], promotion: 'review' }],
    );
    expect(facts.map(({ agent }) => agent)).toEqual(['scribe', 'stray', 'lost']);
    const findings = agentMemoryFindings(facts);
    expect(findings).toEqual([
      { level: 'ok', message: 'agent scribe loads and writes memory store "ops"' },
      { level: 'warn', message: expect.stringMatching(/^agent stray uses memory store "ops", whose agents \(scribe\) do not include it: .* Add it to the store's agents/) },
      { level: 'warn', message: expect.stringMatching(/^agent lost uses memory store "nowhere", which is not defined: .*signalbox memory apply -f/) },
    ]);
  });

  it('reminds that an agent with a policy of its own must allow the memory tools there', () => {
    const [finding] = agentMemoryFindings(agentMemoryFactsOf([agent('careful', { memory: { store: 'ops', load: 8 }, policy: 'strict' })], [{ name: 'ops', agents: ['careful'], promotion: 'auto' }]));
    expect(finding?.message).toMatch(/its policy strict decides memory.search and memory.write like any tool: allow them there$/);
  });

  it('warns of an agent pinned to a version its store does not have, and names the version one that exists loads', async () => {
    const stores = [{ name: 'ops', agents: ['eval-a', 'eval-b'], promotion: 'review' as const }];
    const facts = agentMemoryFactsOf([agent('eval-a', { memory: { store: 'ops', load: 8, version: 3 } }), agent('eval-b', { memory: { store: 'ops', load: 8, version: 9 } })], stores);
    const stateOf = async (_store: string, version: number) => (version === 3 ? ('proposed' as const) : undefined);
    expect(agentMemoryFindings(await withPinnedStates(facts, stateOf))).toEqual([
      { level: 'ok', message: 'agent eval-a loads version 3 (proposed) of memory store "ops" rather than its head, and writes on top of the head' },
      { level: 'warn', message: expect.stringMatching(/^agent eval-b pins version 9 of memory store "ops", which has no such version: .*signalbox memory list ops/) },
    ]);
  });
});
