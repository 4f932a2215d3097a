import { AgentDefinition, SupervisionConfig } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { defineDetector } from './detector.ts';
import { given, script } from './spec.ts';
import { ladderAction } from './supervise.ts';

/** A user's own detector: a deploy after a failed test run. */
const deployAfterRedTests = defineDetector<{ red?: number; deploy?: number }, { tool: string }>({
  name: 'deploy_after_red_tests',
  action: 'pause',
  settings: { tool: 'deploy.run' },
  initial: () => ({}),
  evolve(state, event, { observation, settings }) {
    if (event.type === 'tool.failed' && observation.call?.tool === 'shell.run') return { red: event.n };
    if (event.type === 'tool.completed' && observation.call?.tool === 'shell.run') return {};
    if (event.type === 'tool.requested' && event.data.tool === settings.tool && state.red !== undefined) return { ...state, deploy: event.n };
    return state;
  },
  check({ red, deploy }) {
    return red !== undefined && deploy !== undefined ? { reason: 'The agent deploys after a failed test run.', evidence: [red, deploy] } : undefined;
  },
});

describe('supervising a session', () => {
  it('runs a detector of the user’s own, with its action, once per pattern', () => {
    const run = script()
      .call({ tool: 'shell.run', input: { command: 'pytest' }, error: '1 failed' })
      .call({ tool: 'deploy.run', input: {}, output: 'deployed' })
      .call({ tool: 'workspace.read', input: { path: 'log' }, output: 'ok' });
    given(run.events, { detectors: [deployAfterRedTests] }).then([{ detector: 'deploy_after_red_tests', action: 'pause', evidence: [5, 8], occurrence: 1 }]);
  });

  it('configures a user’s detector under `detectors`', () => {
    const run = script({ supervision: { detectors: { deploy_after_red_tests: { enabled: false } } } })
      .call({ tool: 'shell.run', input: { command: 'pytest' }, error: '1 failed' })
      .call({ tool: 'deploy.run', input: {}, output: 'deployed' });
    given(run.events, { detectors: [deployAfterRedTests] }).then([]);
  });

  it('takes a config given to it over the agent’s', () => {
    const grep = { tool: 'shell.run', input: { command: 'grep x' }, output: '' };
    given(script({ supervision: false }).repeat(3, grep).events, { config: {} }).then([{ detector: 'repetition' }]);
    given(script().repeat(3, grep).events, { config: false }).then([]);
  });

  it('climbs the ladder from the detector’s action, one rung a recurrence, and stays on the last', () => {
    expect([1, 2, 3, 4].map((occurrence) => ladderAction(['nudge', 'pause', 'abort'], { action: 'nudge', occurrence }))).toEqual(['nudge', 'pause', 'abort', 'abort']);
    expect(ladderAction(['nudge', 'pause', 'abort'], { action: 'pause', occurrence: 2 })).toBe('abort');
    expect(ladderAction(['pause'], { action: 'nudge', occurrence: 3 })).toBe('pause');
  });
});

describe('the supervision config', () => {
  it('is part of an agent definition: false, or per detector settings and a ladder', () => {
    const agent = { name: 'coder', model: 'anthropic/claude-sonnet-4-5', supervision: { repetition: { repeats: 4, action: 'pause' }, ladder: ['nudge', 'abort'] } };
    expect(AgentDefinition.parse(agent).supervision).toEqual(agent.supervision);
    expect(AgentDefinition.parse({ ...agent, supervision: false }).supervision).toBe(false);
  });

  it('refuses a typo, an unknown action and a threshold out of range', () => {
    expect(SupervisionConfig.safeParse({ repetiton: {} }).success).toBe(false);
    expect(SupervisionConfig.safeParse({ waste: { action: 'explode' } }).success).toBe(false);
    expect(SupervisionConfig.safeParse({ no_progress: { steps: 0 } }).success).toBe(false);
    expect(SupervisionConfig.safeParse(true).success).toBe(false);
  });
});
