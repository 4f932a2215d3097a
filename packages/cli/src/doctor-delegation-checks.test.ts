import type { AgentDefinition } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { delegationFindings } from './doctor-delegation-checks.ts';

const agent = (name: string, extra: Partial<AgentDefinition> = {}): AgentDefinition => ({ name, model: 'scripted', system: '', tools: [], budget: { maxSteps: 20 }, maxTokens: 4096, subagents: [], ...extra });

describe('doctor: delegation', () => {
  it('warns of a specialist nobody defined, and of tools a lead without a policy cannot pass on', () => {
    const findings = delegationFindings([
      agent('editor', { tools: ['workspace.read'], subagents: ['writer', 'ghost'] }),
      agent('writer', { tools: ['workspace.read', 'workspace.write'] }),
    ]);
    expect(findings).toEqual([
      { level: 'warn', message: expect.stringMatching(/^agent editor may delegate to ghost, which no definition names/) },
      { level: 'warn', message: expect.stringMatching(/these will be denied to them: writer: workspace.write\. List them in editor's tools/) },
    ]);
  });

  it('says a lead whose specialists can work is fine, and leaves a lead with a policy to it', () => {
    expect(delegationFindings([agent('editor', { tools: ['workspace.write'], subagents: ['writer'] }), agent('writer', { tools: ['workspace.write'] })])).toEqual([{ level: 'ok', message: 'agent editor delegates to writer' }]);
    expect(delegationFindings([agent('editor', { policy: 'team', subagents: ['writer'] }), agent('writer', { tools: ['shell.run'] })])).toEqual([{ level: 'ok', message: 'agent editor delegates to writer' }]);
  });
});
