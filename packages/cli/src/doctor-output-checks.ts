import type { AgentDefinition } from '@signalbox/events';
import { fitsStrictMode } from '@signalbox/models';
import type { Finding } from './doctor-checks.ts';

/**
 * Agents with an `output` schema (decider version 12 on). Every answer is validated by the runtime
 * and a wrong one sent back once; what doctor can tell is whether the provider also guarantees the
 * shape: OpenAI does only for schemas that meet its strict mode, and takes any other as guidance.
 */
export function outputFindings(agents: readonly AgentDefinition[]): Finding[] {
  return agents.flatMap((agent): Finding[] => {
    if (agent.output === undefined) return [];
    if (agent.model.startsWith('openai/') && !fitsStrictMode(agent.output)) {
      return [
        {
          level: 'warn',
          message:
            `agent ${agent.name}'s output schema does not meet OpenAI's strict mode (every object closed with "additionalProperties": false and all its properties required), ` +
            'so the model takes it as guidance: answers are still validated, and a wrong one is sent back once before the session fails',
        },
      ];
    }
    return [{ level: 'ok', message: `agent ${agent.name} answers in JSON its output schema validates` }];
  });
}
