import { AgentDefinition } from '@signalbox/events';
import { providerConfigFromEnv } from '@signalbox/models';
import { describe, expect, it } from 'vitest';
import { judgeFactsOf, judgeFindings } from './doctor-judge-checks.ts';

const judged = (name: string, model: string) => AgentDefinition.parse({ name, model: 'scripted', script: [{ final: 'done' }], supervision: { judge: { model } } });
const agents = [
  judged('keyed', 'anthropic/claude-haiku-4-5'),
  judged('unkeyed', 'openai/gpt-4.1-mini'),
  judged('local', 'ollama/llama3.2'),
  judged('nowhere', 'acme/judge-1'),
  AgentDefinition.parse({ name: 'unjudged', model: 'scripted', script: [{ final: 'done' }] }),
];
const providers = providerConfigFromEnv({ ANTHROPIC_API_KEY: 'sk-ant-doctor' }).providers;

describe("doctor on agents' judges", () => {
  it('finds each judge and whether its provider can be called here: configured, keyed, or a local server that needs no key', () => {
    expect(judgeFactsOf(agents, providers)).toEqual([
      { agent: 'keyed', model: 'anthropic/claude-haiku-4-5', provider: 'ready' },
      { agent: 'unkeyed', model: 'openai/gpt-4.1-mini', provider: 'unkeyed' },
      { agent: 'local', model: 'ollama/llama3.2', provider: 'ready' },
      { agent: 'nowhere', model: 'acme/judge-1', provider: 'missing' },
    ]);
  });

  it('warns of a judge whose provider has no key, or is not configured at all', () => {
    expect(judgeFindings(judgeFactsOf(agents, providers)).map((finding) => finding.message)).toEqual([
      expect.stringMatching(/^Agent unkeyed's judge calls openai\/gpt-4.1-mini, but provider "openai" has no API key here/),
      expect.stringMatching(/^Agent nowhere's judge calls acme\/judge-1, but no provider "acme" is configured here/),
    ]);
  });
});
