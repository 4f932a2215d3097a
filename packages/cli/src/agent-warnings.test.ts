import { AgentDefinition } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { agentWarnings } from './agent-warnings.ts';

const surroundings = { providers: ['openai', 'anthropic', 'ollama'], unadvertisedTools: new Set(['web.fetch']), policies: new Set(['staging']) };
const agent = (fields: object) => AgentDefinition.parse({ name: 'researcher', model: 'anthropic/claude-sonnet-4-6', ...fields });

describe('agentWarnings', () => {
  it('has nothing to say of an agent whose provider is configured and whose tools are advertised', () => {
    expect(agentWarnings(agent({ tools: ['workspace.read'] }), surroundings)).toEqual([]);
    expect(agentWarnings(agent({ model: 'scripted', script: [{ final: 'done' }] }), surroundings)).toEqual([]);
    expect(agentWarnings(agent({ policy: 'staging' }), surroundings)).toEqual([]);
  });

  it('names a provider that is not configured, the ones that are, and where to add it', () => {
    expect(agentWarnings(agent({ model: 'vllm/llama-3.1' }), surroundings)).toEqual([
      'agent "researcher": model "vllm/llama-3.1" names provider "vllm", which is not configured here (anthropic, ollama, openai): ' +
        'add it to SIGNALBOX_PROVIDERS where the session actors run, or its sessions fail at their first model call',
    ]);
  });

  it('names each tool no executor has advertised', () => {
    expect(agentWarnings(agent({ tools: ['workspace.read', 'web.fetch'] }), surroundings)).toEqual([
      'agent "researcher": no executor has advertised tool "web.fetch": start a tool executor that offers it, or tasks for this agent are dead-lettered until one does',
    ]);
  });

  it('names a policy that is not stored, and how to store it', () => {
    expect(agentWarnings(agent({ policy: 'production' }), surroundings)).toEqual([
      'agent "researcher": policy "production" is not stored: apply it with `signalbox policies apply -f <file>`, or the permission broker denies every tool call of its sessions',
    ]);
  });

  it('names a stalled timer too short for a re-drive to re-send tool jobs (under the jobs stream’s duplicate window)', () => {
    expect(agentWarnings(agent({ supervision: { stalled: { afterMs: 60_000 } } }), surroundings)).toEqual([
      'agent "researcher": supervision.stalled.afterMs 60000 is under the jobs stream\'s duplicate window (120000 ms): ' +
        "a stalled session's tool jobs dispatched again that soon are dropped as duplicates, so its re-drive re-does nothing; set it to 120000 or more",
    ]);
    expect(agentWarnings(agent({ supervision: { stalled: { afterMs: 120_000 } } }), surroundings)).toEqual([]);
  });
});
