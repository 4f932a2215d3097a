import type { AgentDefinition } from '@signalbox/events';
import type { RuntimeConfig } from '@signalbox/runtime';
import type { Finding } from './doctor-checks.ts';

/** A stored agent's judge (`supervision.judge.model`), and whether this environment's providers can call it. */
export interface JudgeFact {
  agent: string;
  model: string;
  /** Its provider here: not configured, configured without a key (a local OpenAI-compatible server needs none), or ready. */
  provider: 'missing' | 'unkeyed' | 'ready';
}

/** The judges of `agents`, each checked against `providers` (the environment's `SIGNALBOX_PROVIDERS` and key variables). */
export function judgeFactsOf(agents: readonly AgentDefinition[], providers: RuntimeConfig['models']['providers']): JudgeFact[] {
  return agents.flatMap((agent) => {
    const judge = agent.supervision === false ? undefined : agent.supervision?.judge;
    if (judge === undefined || judge.enabled === false) return [];
    return [{ agent: agent.name, model: judge.model, provider: providerReadiness(judge.model, providers) }];
  });
}

/** Whether this environment can call `model`'s provider: not configured, configured without a key (a local OpenAI-compatible server needs none), or ready. */
export function providerReadiness(model: string, providers: RuntimeConfig['models']['providers']): JudgeFact['provider'] {
  const endpoint = providers[model.slice(0, model.indexOf('/'))];
  return endpoint === undefined ? 'missing' : endpoint.kind === 'openai-compatible' || endpoint.apiKey !== undefined ? 'ready' : 'unkeyed';
}

/** A judge its provider cannot be called for: the supervisor logs every judgement of its sessions as failed, and none is made. */
export function judgeFindings(judges: readonly JudgeFact[]): Finding[] {
  return judges.flatMap(({ agent, model, provider }): Finding[] => {
    const name = model.slice(0, model.indexOf('/'));
    if (provider === 'missing') {
      return [{ level: 'warn', message: `Agent ${agent}'s judge calls ${model}, but no provider "${name}" is configured here: supervisors started like this cannot judge its sessions. Add it to SIGNALBOX_PROVIDERS, or name another judge model.` }];
    }
    if (provider === 'unkeyed') {
      return [{ level: 'warn', message: `Agent ${agent}'s judge calls ${model}, but provider "${name}" has no API key here: supervisors started like this cannot judge its sessions. Set its key variable (or apiKeyEnv in SIGNALBOX_PROVIDERS) for the supervisor.` }];
    }
    return [];
  });
}
